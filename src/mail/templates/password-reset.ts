import type { TemplateSet } from './template.js';

/** Sent when a user asks to reset a forgotten password; `link` carries the single-use token. */
export const passwordReset: TemplateSet = {
  en: {
    subject: 'Reset your password',
    text: `Hello {{username}},

Someone (hopefully you) asked to reset the password of your account.
Open this link to choose a new password:

{{link}}

The link works once and expires in {{minutes}} minutes.
If you did not ask for this, ignore this mail: your password stays as it is.`,
    html: `<p>Hello {{username}},</p>
<p>Someone (hopefully you) asked to reset the password of your account.</p>
<p><a href="{{link}}">Choose a new password</a></p>
<p>Or copy this link into your browser:<br>{{link}}</p>
<p>The link works once and expires in {{minutes}} minutes.
If you did not ask for this, ignore this mail: your password stays as it is.</p>`,
  },
  'zh-CN': {
    subject: '重置您的密码',
    text: `{{username}}，您好：

有人（希望是您本人）请求重置您账户的密码。
请打开以下链接设置新密码：

{{link}}

该链接只能使用一次，{{minutes}} 分钟后失效。
如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。`,
    html: `<p>{{username}}，您好：</p>
<p>有人（希望是您本人）请求重置您账户的密码。</p>
<p><a href="{{link}}">设置新密码</a></p>
<p>或将以下链接复制到浏览器中打开：<br>{{link}}</p>
<p>该链接只能使用一次，{{minutes}} 分钟后失效。
如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。</p>`,
  },
};
