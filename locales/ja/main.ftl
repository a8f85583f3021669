# 日本語。キーは en/main.ftl と同じです。

## 招待メール

invitation-subject = { $inviter } により、組織内のアプリケーションへのアクセスに招待されました
invitation-intro = { $inviter } ({ $inviterEmail }) により、組織内のアプリケーションへのアクセスに招待されました。
invitation-organization = 組織: { $org } ({ $domain })
invitation-caution-text = 送信者を知っていて、この招待を予期していた場合にのみ承諾してください。不明な場合は、続行する前に、すでに信頼している方法で送信者に連絡してください。
invitation-caution-html = 送信者を知っていて、この招待を予期していた場合にのみ承諾してください。不明な場合は、すでに信頼している方法で送信者に連絡してください。
invitation-invited-by = 招待者: { $inviter } ({ $inviterEmail })
invitation-message-from = { $inviter } からのメッセージ:
invitation-accept = 招待を承諾する
invitation-sharing = 承諾すると、{ $org } があなたの名前とメール アドレスを参照できるようになります。
invitation-privacy-statement = { $org } のプライバシーに関する声明
invitation-no-privacy-statement = { $org } はプライバシーに関する声明を提供していません。
invitation-block-text = { $org } から { $address } への今後の招待をブロックする:
invitation-block-html = { $org } から { $address } への{ $link }。
invitation-block-link = 今後の招待をブロック
invitation-cc-subject = コピー: { $subject }
invitation-cc-intro-text = { $inviter } ({ $inviterEmail }) が { $invitee } ({ $inviteeEmail }) を { $org } ({ $domain }) 内のアプリケーションへのアクセスに招待し、このコピーをあなたに送信しました。
invitation-cc-intro-html = { $inviter } ({ $inviterEmail }) が <strong>{ $invitee }</strong> ({ $inviteeEmail }) を <strong>{ $org }</strong> ({ $domain }) 内のアプリケーションへのアクセスに招待し、このコピーをあなたに送信しました。
invitation-cc-note = このコピーは参考情報です。招待を承諾できるのは招待された本人だけです。

## ワンタイム パスコードのメール

code-subject = { $org } の確認コード
code-intro = { $org } の確認コード:
code-enter = コードを要求したページで入力してください。有効期限は 30 分で、1 回だけ使用できます。
code-ignore = コードを要求していない場合は、このメールを無視してかまいません。メールボックスにアクセスできない人はこのコードを使用できません。

## すべてのページ

page-skip = メイン コンテンツにスキップ
page-account-menu = アカウント メニュー:
page-organizations = 組織
page-change-password = パスワードの変更
page-invite-guest = ゲストを招待
page-sign-out = サインアウト
page-noscript = JavaScript がオフです。すべてのページは JavaScript なしで動作します。
page-my-apps = マイ アプリ

## 招待の引き換え

redeem-invited = { $inviter } により、{ $org } 内のアプリケーションへのアクセスに招待されました。
redeem-invited-as = 招待されたアドレス: <strong>{ $address }</strong>
redeem-an-administrator = { $org } の管理者
redeem-prove = 続行するには、このアドレスがあなたのものであることを確認してください。このアドレスにワンタイム コードを送信します。
redeem-send-code = コードを送信
redeem-sign-in-with = { $provider } でサインイン
redeem-or-code = または、アドレスに送信されるワンタイム コードを使用します。
redeem-continue = 続行
redeem-invitation-date = 招待の送信日: { $date }

## コードの入力

code-page-title = コードの入力
code-page-sent = { $address } にコードを送信しました。有効期限は 30 分です。
code-page-label = コード
code-page-verify = 確認
code-page-signin-sent = { $address } がコードでサインインできる場合は、そのアドレスにコードを送信しました。有効期限は 30 分です。
code-page-sign-in = サインイン
code-page-resend = 新しいコードを送信
code-page-wrong = コードが正しくありません。メールを確認して、もう一度お試しください。
code-page-new-needed = このコードは使用できなくなりました。有効期限が切れたか、入力の誤りが多すぎます。新しいコードを送信してください。

## アクセス許可の確認

consent-title = アクセス許可の確認
consent-requested-by = アクセス許可の要求元
consent-allow = 承諾すると、{ $org } に次のことを許可します:
consent-profile = プロファイル データの受け取り: 名前 ({ $name }) とメール アドレス ({ $address })
consent-trust = { $org } を信頼できる場合にのみ承諾してください。{ $link }をお読みください。
consent-privacy-statement = { $org } のプライバシーに関する声明
consent-no-terms = { $org } は、確認用の利用規約へのリンクを提供していません。
consent-terms = 利用規約
consent-accept = 承諾
consent-cancel = キャンセル

## マイ アプリ

my-apps-empty = 表示するアプリはありません
my-apps-no-sign-in = このアプリのサインインは設定されていません。

## サインイン

signin-title = サインイン
signin-email = メール
signin-password = パスワード
signin-submit = サインイン
signin-guest-hint = ゲストはパスワードなしでサインインします。メール アドレスを入力すると、コードをお送りします。
signin-email-code = サインイン コードをメールで送信

## 行き止まりと次の操作

guest-invalid-link-title = この招待リンクは無効です
guest-invalid-link = リンクが不完全であるか、招待が存在しなくなった可能性があります。招待した人に新しい招待を依頼してください。
guest-replaced-title = この招待リンクは置き換えられました
guest-replaced = この招待リンクは新しいリンクに置き換えられました。最新の招待メールにあるリンクを使用してください。
guest-domain-closed-title = この招待は承諾できません
guest-domain-closed = { $org } は { $domain } のゲストを受け入れなくなったため、この招待は承諾できません。変更は行われていません。招待した人に連絡してください。
guest-cancelled-title = 何も共有されていません
guest-cancelled = 招待を承諾しなかったため、あなたに関する情報は何も共有されていません。気が変わった場合は、メールのリンクをもう一度使用できます。
guest-go-to-sign-in = サインインに移動
continue-title = 準備が完了しました
continue-leaving = { $org } からの招待を承諾しました。Vestibule を離れて、次の場所に移動します:
continue-continue = 続行
continue-my-apps = マイ アプリに移動
