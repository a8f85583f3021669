# Guest-facing text. English is the reference: every other language has
# every key (a test checks), and a missing string falls back to English.
# Placeables are filled by the portal; markup in a message is HTML.

## The invitation email

invitation-subject = { $inviter } invited you to access applications within their organization
invitation-intro = { $inviter } ({ $inviterEmail }) invited you to access applications within their organization.
invitation-organization = Organization: { $org } ({ $domain })
invitation-caution-text = Please only accept this invitation if you know the sender and were expecting it. If you are unsure, contact them through a channel you already trust before you continue.
invitation-caution-html = Please only accept this invitation if you know the sender and were expecting it. If you are unsure, contact them through a channel you already trust.
invitation-invited-by = Invited by { $inviter } ({ $inviterEmail })
invitation-message-from = Message from { $inviter }:
invitation-accept = Accept invitation
invitation-sharing = Accepting lets { $org } see your name and email address.
invitation-privacy-statement = { $org }'s privacy statement
invitation-no-privacy-statement = { $org } has not provided a privacy statement.
invitation-block-text = Block future invitations from { $org } to { $address }:
invitation-block-html = { $link } from { $org } to { $address }.
invitation-block-link = Block future invitations
invitation-cc-subject = Copy: { $subject }
invitation-cc-intro-text = { $inviter } ({ $inviterEmail }) invited { $invitee } ({ $inviteeEmail }) to access applications within { $org } ({ $domain }), and sent you this copy.
invitation-cc-intro-html = { $inviter } ({ $inviterEmail }) invited <strong>{ $invitee }</strong> ({ $inviteeEmail }) to access applications within <strong>{ $org }</strong> ({ $domain }), and sent you this copy.
invitation-cc-note = This copy is for your information; only the invited person can accept the invitation.

## The one-time passcode email

code-subject = Your { $org } verification code
code-intro = Your { $org } verification code is:
code-enter = Enter it on the page where you asked for it. It expires in 30 minutes and works once.
code-ignore = If you did not ask for a code, you can ignore this email: nobody can use it without access to your mailbox.

## Every page

page-skip = Skip to main content
page-account-menu = Account menu for
page-organizations = Organizations
page-change-password = Change password
page-invite-guest = Invite a guest
page-sign-out = Sign out
page-noscript = JavaScript is off: every page works without it.
page-my-apps = My Apps

## Redeem

redeem-invited = { $inviter } invited you to access applications within { $org }.
redeem-invited-as = Invited as <strong>{ $address }</strong>.
redeem-an-administrator = An administrator of { $org }
redeem-prove = To continue, prove that this address is yours: we will send a one-time code to it.
redeem-send-code = Send code
redeem-sign-in-with = Sign in with { $provider }
redeem-or-code = Or use a one-time code sent to your address.
redeem-continue = Continue
redeem-invitation-date = Invitation sent on { $date }

## Enter code

code-page-title = Enter code
code-page-sent = We sent a code to { $address }. It expires in 30 minutes.
code-page-label = Code
code-page-verify = Verify
code-page-signin-sent = If { $address } can sign in with a code, we sent one to it. It expires in 30 minutes.
code-page-sign-in = Sign in
code-page-resend = Send a new code
code-page-wrong = That code is not right. Check the email and try again.
code-page-new-needed = This code no longer works: it expired, or it was entered wrongly too many times. Send a new code.

## Review permissions

consent-title = Review permissions
consent-requested-by = Permissions requested by
consent-allow = By accepting, you allow { $org } to:
consent-profile = Receive your profile data: your name ({ $name }) and email address ({ $address })
consent-trust = You should only accept if you trust { $org }. Read { $link }.
consent-privacy-statement = { $org }'s privacy statement
consent-no-terms = { $org } has not provided links to their terms for you to review.
consent-terms = Terms of use
consent-accept = Accept
consent-cancel = Cancel

## My Apps

my-apps-empty = There are no apps to show
my-apps-no-sign-in = Sign-in is not set up for this app.

## Sign in

signin-title = Sign in
signin-email = Email
signin-password = Password
signin-submit = Sign in
signin-guest-hint = Guests sign in without a password: enter your email and we send you a code.
signin-email-code = Email me a sign-in code

## The guest's dead ends and the way on

guest-invalid-link-title = This invitation link is not valid
guest-invalid-link = The link may be incomplete, or the invitation no longer exists. Ask the person who invited you for a new invitation.
guest-replaced-title = This invitation link was replaced
guest-replaced = This invitation link was replaced by a newer one. Use the link in the most recent invitation email.
guest-domain-closed-title = This invitation can't be accepted
guest-domain-closed = { $org } no longer accepts guests from { $domain }, so this invitation can't be accepted. Nothing was changed. Contact the person who invited you.
guest-cancelled-title = Nothing was shared
guest-cancelled = You did not accept the invitation, so nothing about you was shared. You can use the link in the email again if you change your mind.
guest-go-to-sign-in = Go to sign in
continue-title = You're all set
continue-leaving = You accepted the invitation from { $org }. You are about to leave Vestibule for:
continue-continue = Continue
continue-my-apps = Go to My Apps
