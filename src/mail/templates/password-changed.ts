import type { TemplateSet } from './template.js';

/** Sent after a password change, so an owner whose account was taken over learns of it. */
export const passwordChanged: TemplateSet = {
  en: {
    subject: 'Your password was changed',
    text: `Hello {{username}},

The password of your account was changed at {{at}} from the address {{ip}}.

If this was you, nothing more is needed.
If it was not, reset your password at once and contact your administrator.`,
    html: `<p>Hello {{username}},</p>
<p>The password of your account was changed at <b>{{at}}</b> from the address <b>{{ip}}</b>.</p>
<p>If this was you, nothing more is needed.
If it was not, reset your password at once and contact your administrator.</p>`,
  },
  'zh-CN': {
    subject: '您的密码已更改',
    text: `{{username}}，您好：

您账户的密码已于 {{at}} 从地址 {{ip}} 更改。

如果是您本人操作，无需其他处理。
如果不是，请立即重置密码并联系管理员。`,
    html: `<p>{{username}}，您好：</p>
<p>您账户的密码已于 <b>{{at}}</b> 从地址 <b>{{ip}}</b> 更改。</p>
<p>如果是您本人操作，无需其他处理。
如果不是，请立即重置密码并联系管理员。</p>`,
  },
};
