# Deutsch. Schlüssel wie in en/main.ftl.

## Die Einladungs-E-Mail

invitation-subject = { $inviter } hat Sie eingeladen, auf Anwendungen in der Organisation zuzugreifen
invitation-intro = { $inviter } ({ $inviterEmail }) hat Sie eingeladen, auf Anwendungen in der Organisation zuzugreifen.
invitation-organization = Organisation: { $org } ({ $domain })
invitation-caution-text = Nehmen Sie diese Einladung nur an, wenn Sie den Absender kennen und die Einladung erwartet haben. Wenn Sie unsicher sind, wenden Sie sich über einen Kanal, dem Sie bereits vertrauen, an den Absender, bevor Sie fortfahren.
invitation-caution-html = Nehmen Sie diese Einladung nur an, wenn Sie den Absender kennen und die Einladung erwartet haben. Wenn Sie unsicher sind, wenden Sie sich über einen Kanal, dem Sie bereits vertrauen, an den Absender.
invitation-invited-by = Eingeladen von { $inviter } ({ $inviterEmail })
invitation-message-from = Nachricht von { $inviter }:
invitation-accept = Einladung annehmen
invitation-sharing = Wenn Sie annehmen, kann { $org } Ihren Namen und Ihre E-Mail-Adresse sehen.
invitation-privacy-statement = Datenschutzerklärung von { $org }
invitation-no-privacy-statement = { $org } hat keine Datenschutzerklärung angegeben.
invitation-block-text = Zukünftige Einladungen von { $org } an { $address } blockieren:
invitation-block-html = { $link } (von { $org } an { $address }).
invitation-block-link = Zukünftige Einladungen blockieren
invitation-cc-subject = Kopie: { $subject }
invitation-cc-intro-text = { $inviter } ({ $inviterEmail }) hat { $invitee } ({ $inviteeEmail }) eingeladen, auf Anwendungen in { $org } ({ $domain }) zuzugreifen, und Ihnen diese Kopie gesendet.
invitation-cc-intro-html = { $inviter } ({ $inviterEmail }) hat <strong>{ $invitee }</strong> ({ $inviteeEmail }) eingeladen, auf Anwendungen in <strong>{ $org }</strong> ({ $domain }) zuzugreifen, und Ihnen diese Kopie gesendet.
invitation-cc-note = Diese Kopie dient nur zu Ihrer Information; nur die eingeladene Person kann die Einladung annehmen.

## Die E-Mail mit dem Einmalkennungscode

code-subject = Ihr Prüfcode für { $org }
code-intro = Ihr Prüfcode für { $org } lautet:
code-enter = Geben Sie ihn auf der Seite ein, auf der Sie ihn angefordert haben. Er läuft in 30 Minuten ab und kann einmal verwendet werden.
code-ignore = Wenn Sie keinen Code angefordert haben, können Sie diese E-Mail ignorieren: Ohne Zugriff auf Ihr Postfach kann niemand ihn verwenden.

## Jede Seite

page-skip = Zum Hauptinhalt springen
page-account-menu = Kontomenü für
page-organizations = Organisationen
page-change-password = Kennwort ändern
page-invite-guest = Gast einladen
page-sign-out = Abmelden
page-noscript = JavaScript ist deaktiviert: Jede Seite funktioniert auch ohne.
page-my-apps = Meine Apps

## Einlösen

redeem-invited = { $inviter } hat Sie eingeladen, auf Anwendungen in { $org } zuzugreifen.
redeem-invited-as = Eingeladen als <strong>{ $address }</strong>.
redeem-an-administrator = Ein Administrator von { $org }
redeem-prove = Bestätigen Sie zum Fortfahren, dass diese Adresse Ihnen gehört: Wir senden einen Einmalcode an sie.
redeem-send-code = Code senden
redeem-sign-in-with = Mit { $provider } anmelden
redeem-or-code = Oder verwenden Sie einen Einmalcode, der an Ihre Adresse gesendet wird.
redeem-continue = Weiter
redeem-invitation-date = Einladung gesendet am { $date }

## Code eingeben

code-page-title = Code eingeben
code-page-sent = Wir haben einen Code an { $address } gesendet. Er läuft in 30 Minuten ab.
code-page-label = Code
code-page-verify = Überprüfen
code-page-signin-sent = Wenn sich { $address } mit einem Code anmelden kann, haben wir einen an diese Adresse gesendet. Er läuft in 30 Minuten ab.
code-page-sign-in = Anmelden
code-page-resend = Neuen Code senden
code-page-wrong = Dieser Code ist nicht richtig. Prüfen Sie die E-Mail, und versuchen Sie es erneut.
code-page-new-needed = Dieser Code funktioniert nicht mehr: Er ist abgelaufen oder wurde zu oft falsch eingegeben. Fordern Sie einen neuen Code an.

## Berechtigungen überprüfen

consent-title = Berechtigungen überprüfen
consent-requested-by = Berechtigungen angefordert von
consent-allow = Wenn Sie annehmen, gestatten Sie { $org } Folgendes:
consent-profile = Ihre Profildaten empfangen: Ihren Namen ({ $name }) und Ihre E-Mail-Adresse ({ $address })
consent-trust = Sie sollten nur annehmen, wenn Sie { $org } vertrauen. Lesen Sie die { $link }.
consent-privacy-statement = Datenschutzerklärung von { $org }
consent-no-terms = { $org } hat keine Links zu den eigenen Bedingungen bereitgestellt, die Sie überprüfen können.
consent-terms = Nutzungsbedingungen
consent-accept = Annehmen
consent-cancel = Abbrechen

## Meine Apps

my-apps-empty = Es sind keine Apps vorhanden, die angezeigt werden können.
my-apps-no-sign-in = Die Anmeldung ist für diese App nicht eingerichtet.

## Anmelden

signin-title = Anmelden
signin-email = E-Mail
signin-password = Kennwort
signin-submit = Anmelden
signin-guest-hint = Gäste melden sich ohne Kennwort an: Geben Sie Ihre E-Mail-Adresse ein, und wir senden Ihnen einen Code.
signin-email-code = Anmeldecode per E-Mail senden

## Sackgassen und der Weg weiter

guest-invalid-link-title = Dieser Einladungslink ist ungültig
guest-invalid-link = Der Link ist möglicherweise unvollständig, oder die Einladung existiert nicht mehr. Bitten Sie die Person, die Sie eingeladen hat, um eine neue Einladung.
guest-replaced-title = Dieser Einladungslink wurde ersetzt
guest-replaced = Dieser Einladungslink wurde durch einen neueren ersetzt. Verwenden Sie den Link in der neuesten Einladungs-E-Mail.
guest-domain-closed-title = Diese Einladung kann nicht angenommen werden
guest-domain-closed = { $org } nimmt keine Gäste von { $domain } mehr an, daher kann diese Einladung nicht angenommen werden. Es wurde nichts geändert. Wenden Sie sich an die Person, die Sie eingeladen hat.
guest-cancelled-title = Es wurde nichts geteilt
guest-cancelled = Sie haben die Einladung nicht angenommen, daher wurde nichts über Sie geteilt. Wenn Sie es sich anders überlegen, können Sie den Link in der E-Mail erneut verwenden.
guest-go-to-sign-in = Zur Anmeldung
continue-title = Alles erledigt
continue-leaving = Sie haben die Einladung von { $org } angenommen. Sie verlassen Vestibule jetzt und wechseln zu:
continue-continue = Weiter
continue-my-apps = Zu „Meine Apps“
