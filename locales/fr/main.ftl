# Français. Mêmes clés que en/main.ftl.

## L'e-mail d'invitation

invitation-subject = { $inviter } vous a invité à accéder aux applications de son organisation
invitation-intro = { $inviter } ({ $inviterEmail }) vous a invité à accéder aux applications de son organisation.
invitation-organization = Organisation : { $org } ({ $domain })
invitation-caution-text = N'acceptez cette invitation que si vous connaissez l'expéditeur et que vous l'attendiez. En cas de doute, contactez-le par un canal auquel vous faites déjà confiance avant de continuer.
invitation-caution-html = N'acceptez cette invitation que si vous connaissez l'expéditeur et que vous l'attendiez. En cas de doute, contactez-le par un canal auquel vous faites déjà confiance.
invitation-invited-by = Invité par { $inviter } ({ $inviterEmail })
invitation-message-from = Message de { $inviter } :
invitation-accept = Accepter l'invitation
invitation-sharing = En acceptant, vous permettez à { $org } de voir votre nom et votre adresse e-mail.
invitation-privacy-statement = Déclaration de confidentialité de { $org }
invitation-no-privacy-statement = { $org } n'a pas fourni de déclaration de confidentialité.
invitation-block-text = Bloquer les futures invitations de { $org } à { $address } :
invitation-block-html = { $link } de { $org } à { $address }.
invitation-block-link = Bloquer les futures invitations
invitation-cc-subject = Copie : { $subject }
invitation-cc-intro-text = { $inviter } ({ $inviterEmail }) a invité { $invitee } ({ $inviteeEmail }) à accéder aux applications de { $org } ({ $domain }) et vous a envoyé cette copie.
invitation-cc-intro-html = { $inviter } ({ $inviterEmail }) a invité <strong>{ $invitee }</strong> ({ $inviteeEmail }) à accéder aux applications de <strong>{ $org }</strong> ({ $domain }) et vous a envoyé cette copie.
invitation-cc-note = Cette copie vous est envoyée pour information ; seule la personne invitée peut accepter l'invitation.

## L'e-mail du code à usage unique

code-subject = Votre code de vérification { $org }
code-intro = Votre code de vérification { $org } est :
code-enter = Saisissez-le sur la page où vous l'avez demandé. Il expire dans 30 minutes et ne fonctionne qu'une fois.
code-ignore = Si vous n'avez pas demandé de code, vous pouvez ignorer cet e-mail : personne ne peut l'utiliser sans accès à votre boîte aux lettres.

## Chaque page

page-skip = Aller au contenu principal
page-account-menu = Menu du compte de
page-organizations = Organisations
page-change-password = Modifier le mot de passe
page-invite-guest = Inviter un invité
page-sign-out = Se déconnecter
page-noscript = JavaScript est désactivé : chaque page fonctionne sans lui.
page-my-apps = Mes applications

## Utiliser l'invitation

redeem-invited = { $inviter } vous a invité à accéder aux applications de { $org }.
redeem-invited-as = Invité en tant que <strong>{ $address }</strong>.
redeem-an-administrator = Un administrateur de { $org }
redeem-prove = Pour continuer, prouvez que cette adresse vous appartient : nous allons y envoyer un code à usage unique.
redeem-send-code = Envoyer le code
redeem-sign-in-with = Se connecter avec { $provider }
redeem-or-code = Ou utilisez un code à usage unique envoyé à votre adresse.
redeem-continue = Continuer
redeem-invitation-date = Invitation envoyée le { $date }

## Saisir le code

code-page-title = Entrer le code
code-page-sent = Nous avons envoyé un code à { $address }. Il expire dans 30 minutes.
code-page-label = Code
code-page-verify = Vérifier
code-page-signin-sent = Si { $address } peut se connecter avec un code, nous lui en avons envoyé un. Il expire dans 30 minutes.
code-page-sign-in = Se connecter
code-page-resend = Envoyer un nouveau code
code-page-wrong = Ce code n'est pas correct. Vérifiez l'e-mail et réessayez.
code-page-new-needed = Ce code ne fonctionne plus : il a expiré ou a été mal saisi trop de fois. Envoyez un nouveau code.

## Vérifier les autorisations

consent-title = Vérifier les autorisations
consent-requested-by = Autorisations demandées par
consent-allow = En acceptant, vous autorisez { $org } à :
consent-profile = Recevoir vos données de profil : votre nom ({ $name }) et votre adresse e-mail ({ $address })
consent-trust = N'acceptez que si vous faites confiance à { $org }. Lisez la { $link }.
consent-privacy-statement = déclaration de confidentialité de { $org }
consent-no-terms = { $org } n'a pas fourni de liens vers ses conditions à consulter.
consent-terms = Conditions d'utilisation
consent-accept = Accepter
consent-cancel = Annuler

## Mes applications

my-apps-empty = Aucune application à afficher
my-apps-no-sign-in = La connexion n'est pas configurée pour cette application.

## Connexion

signin-title = Se connecter
signin-email = E-mail
signin-password = Mot de passe
signin-submit = Se connecter
signin-guest-hint = Les invités se connectent sans mot de passe : saisissez votre adresse e-mail et nous vous envoyons un code.
signin-email-code = M'envoyer un code de connexion par e-mail

## Les impasses et la suite

guest-invalid-link-title = Ce lien d'invitation n'est pas valide
guest-invalid-link = Le lien est peut-être incomplet, ou l'invitation n'existe plus. Demandez une nouvelle invitation à la personne qui vous a invité.
guest-replaced-title = Ce lien d'invitation a été remplacé
guest-replaced = Ce lien d'invitation a été remplacé par un lien plus récent. Utilisez le lien de l'e-mail d'invitation le plus récent.
guest-domain-closed-title = Cette invitation ne peut pas être acceptée
guest-domain-closed = { $org } n'accepte plus d'invités de { $domain } : cette invitation ne peut donc pas être acceptée. Rien n'a été modifié. Contactez la personne qui vous a invité.
guest-cancelled-title = Rien n'a été partagé
guest-cancelled = Vous n'avez pas accepté l'invitation : aucune information vous concernant n'a été partagée. Vous pouvez réutiliser le lien de l'e-mail si vous changez d'avis.
guest-go-to-sign-in = Aller à la connexion
continue-title = Tout est prêt
continue-leaving = Vous avez accepté l'invitation de { $org }. Vous allez quitter Vestibule pour :
continue-continue = Continuer
continue-my-apps = Aller à Mes applications
