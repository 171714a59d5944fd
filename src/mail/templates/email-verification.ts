import type { TemplateSet } from './template.js';

/** Sent to confirm that an e-mail address belongs to the account; `link` carries the token. */
export const emailVerification: TemplateSet = {
  en: {
    subject: 'Confirm your e-mail address',
    text: `Hello {{username}},

Please confirm that this e-mail address belongs to your account by opening this link:

{{link}}

The link expires in {{hours}} hours. If you did not create an account, ignore this mail.`,
    html: `<p>Hello {{username}},</p>
<p>Please confirm that this e-mail address belongs to your account.</p>
<p><a href="{{link}}">Confirm my e-mail address</a></p>
<p>Or copy this link into your browser:<br>{{link}}</p>
<p>The link expires in {{hours}} hours. If you did not create an account, ignore this mail.</p>`,
  },
  'zh-CN': {
    subject: '验证您的邮箱地址',
    text: `{{username}}，您好：

请打开以下链接，确认此邮箱地址属于您的账户：

{{link}}

该链接 {{hours}} 小时后失效。如果您没有注册账户，请忽略本邮件。`,
    html: `<p>{{username}}，您好：</p>
<p>请确认此邮箱地址属于您的账户。</p>
<p><a href="{{link}}">验证邮箱地址</a></p>
<p>或将以下链接复制到浏览器中打开：<br>{{link}}</p>
<p>该链接 {{hours}} 小时后失效。如果您没有注册账户，请忽略本邮件。</p>`,
  },
};
