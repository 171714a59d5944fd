import { describe, expect, it } from 'vitest';
import { mailLocale } from './locale.js';
import { renderMail } from './templates/render.js';

describe('mail locale', () => {
  it.each([
    [undefined, 'en'],
    [null, 'en'],
    ['', 'en'],
    ['en', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-cn', 'zh-CN'],
    ['zh_CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh-Hant-HK', 'zh-CN'],
    ['en-GB', 'en'],
    ['fr-FR', 'en'],
    ['fr-FR,zh;q=0.8,en;q=0.5', 'zh-CN'],
    ['en-US,zh-CN;q=0.9', 'en'],
    ['zh-CN;q=0.2,en;q=0.9', 'en'],
    ['en;q=0,zh', 'zh-CN'],
    ['*', 'en'],
    ['<script>', 'en'],
    ['x'.repeat(10_000), 'en'],
  ])('%s → %s', (raw, want) => {
    expect(mailLocale(raw)).toBe(want);
  });
});

describe('mail templates', () => {
  const evil = '<img src=x onerror=alert(1)>&"\'';
  const all = [
    [
      'password-reset',
      { username: evil, link: 'https://a.example/login/reset?token=T1&x=<y>', minutes: '30' },
    ],
    [
      'email-verification',
      { username: evil, link: 'https://a.example/login/verify?token=T2', hours: '24' },
    ],
    ['password-changed', { username: evil, at: '2026-01-01 00:00 UTC', ip: '203.0.113.9' }],
  ] as const;

  it.each(all)(
    '%s: every variable is filled in both locales, escaped in the HTML',
    (name, vars) => {
      for (const locale of ['en', 'zh-CN'] as const) {
        const r = renderMail(name, locale, vars as never);
        expect(r.subject.length).toBeGreaterThan(3);
        for (const part of [r.subject, r.text, r.html]) expect(part).not.toMatch(/\{\{|\}\}/);
        for (const v of Object.values(vars)) expect(r.text).toContain(v);
        expect(r.html).not.toContain('<img');
        expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;');
        expect(r.html).toContain(`lang="${locale}"`);
      }
      expect(renderMail(name, 'zh-CN', vars as never).subject).toMatch(/[\u4e00-\u9fff]/);
      expect(renderMail(name, 'en', vars as never).subject).toMatch(/^[\x20-\x7e]+$/);
    },
  );

  it('a link keeps working in the HTML: escaped only as an attribute needs', () => {
    const r = renderMail('password-reset', 'en', {
      username: 'u',
      link: 'https://a.example/login/reset?token=abc&lang=en',
      minutes: '30',
    });
    expect(r.html).toContain('href="https://a.example/login/reset?token=abc&amp;lang=en"');
  });
});
