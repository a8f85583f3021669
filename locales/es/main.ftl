# Español. Las mismas claves que en/main.ftl.

## El correo de invitación

invitation-subject = { $inviter } le invitó a acceder a las aplicaciones de su organización
invitation-intro = { $inviter } ({ $inviterEmail }) le invitó a acceder a las aplicaciones de su organización.
invitation-organization = Organización: { $org } ({ $domain })
invitation-caution-text = Acepte esta invitación solo si conoce al remitente y la esperaba. Si no está seguro, póngase en contacto con él por un canal de su confianza antes de continuar.
invitation-caution-html = Acepte esta invitación solo si conoce al remitente y la esperaba. Si no está seguro, póngase en contacto con él por un canal de su confianza.
invitation-invited-by = Invitado por { $inviter } ({ $inviterEmail })
invitation-message-from = Mensaje de { $inviter }:
invitation-accept = Aceptar invitación
invitation-sharing = Al aceptar, { $org } podrá ver su nombre y su dirección de correo electrónico.
invitation-privacy-statement = Declaración de privacidad de { $org }
invitation-no-privacy-statement = { $org } no ha proporcionado una declaración de privacidad.
invitation-block-text = Bloquear futuras invitaciones de { $org } a { $address }:
invitation-block-html = { $link } de { $org } a { $address }.
invitation-block-link = Bloquear futuras invitaciones
invitation-cc-subject = Copia: { $subject }
invitation-cc-intro-text = { $inviter } ({ $inviterEmail }) invitó a { $invitee } ({ $inviteeEmail }) a acceder a las aplicaciones de { $org } ({ $domain }) y le envió esta copia.
invitation-cc-intro-html = { $inviter } ({ $inviterEmail }) invitó a <strong>{ $invitee }</strong> ({ $inviteeEmail }) a acceder a las aplicaciones de <strong>{ $org }</strong> ({ $domain }) y le envió esta copia.
invitation-cc-note = Esta copia es solo para su información; solo la persona invitada puede aceptar la invitación.

## El correo del código de un solo uso

code-subject = Su código de verificación de { $org }
code-intro = Su código de verificación de { $org } es:
code-enter = Escríbalo en la página donde lo solicitó. Caduca en 30 minutos y solo funciona una vez.
code-ignore = Si no solicitó ningún código, puede ignorar este correo: nadie puede usarlo sin acceso a su buzón.

## Todas las páginas

page-skip = Ir al contenido principal
page-account-menu = Menú de la cuenta de
page-organizations = Organizaciones
page-change-password = Cambiar contraseña
page-invite-guest = Invitar a un invitado
page-sign-out = Cerrar sesión
page-noscript = JavaScript está desactivado: todas las páginas funcionan sin él.
page-my-apps = Mis aplicaciones

## Canjear

redeem-invited = { $inviter } le invitó a acceder a las aplicaciones de { $org }.
redeem-invited-as = Invitado como <strong>{ $address }</strong>.
redeem-an-administrator = Un administrador de { $org }
redeem-prove = Para continuar, demuestre que esta dirección es suya: le enviaremos un código de un solo uso.
redeem-send-code = Enviar código
redeem-sign-in-with = Iniciar sesión con { $provider }
redeem-or-code = O use un código de un solo uso enviado a su dirección.
redeem-continue = Continuar
redeem-invitation-date = Invitación enviada el { $date }

## Escribir el código

code-page-title = Escribir código
code-page-sent = Enviamos un código a { $address }. Caduca en 30 minutos.
code-page-label = Código
code-page-verify = Verificar
code-page-signin-sent = Si { $address } puede iniciar sesión con un código, le enviamos uno. Caduca en 30 minutos.
code-page-sign-in = Iniciar sesión
code-page-resend = Enviar un código nuevo
code-page-wrong = Ese código no es correcto. Revise el correo e inténtelo de nuevo.
code-page-new-needed = Este código ya no funciona: caducó o se escribió mal demasiadas veces. Envíe un código nuevo.

## Revisar permisos

consent-title = Revisar permisos
consent-requested-by = Permisos solicitados por
consent-allow = Al aceptar, permite que { $org }:
consent-profile = Reciba sus datos de perfil: su nombre ({ $name }) y su dirección de correo electrónico ({ $address })
consent-trust = Acepte solo si confía en { $org }. Lea la { $link }.
consent-privacy-statement = declaración de privacidad de { $org }
consent-no-terms = { $org } no ha proporcionado vínculos a sus términos para que los revise.
consent-terms = Términos de uso
consent-accept = Aceptar
consent-cancel = Cancelar

## Mis aplicaciones

my-apps-empty = No hay aplicaciones para mostrar
my-apps-no-sign-in = El inicio de sesión no está configurado para esta aplicación.

## Iniciar sesión

signin-title = Iniciar sesión
signin-email = Correo electrónico
signin-password = Contraseña
signin-submit = Iniciar sesión
signin-guest-hint = Los invitados inician sesión sin contraseña: escriba su correo electrónico y le enviaremos un código.
signin-email-code = Enviarme un código de inicio de sesión por correo

## Callejones sin salida y el camino a seguir

guest-invalid-link-title = Este vínculo de invitación no es válido
guest-invalid-link = Puede que el vínculo esté incompleto o que la invitación ya no exista. Pida una nueva invitación a la persona que le invitó.
guest-replaced-title = Este vínculo de invitación se ha reemplazado
guest-replaced = Este vínculo de invitación se ha reemplazado por uno más reciente. Use el vínculo del correo de invitación más reciente.
guest-domain-closed-title = No se puede aceptar esta invitación
guest-domain-closed = { $org } ya no acepta invitados de { $domain }, por lo que esta invitación no se puede aceptar. No se ha cambiado nada. Póngase en contacto con la persona que le invitó.
guest-cancelled-title = No se compartió nada
guest-cancelled = No aceptó la invitación, así que no se compartió nada sobre usted. Puede volver a usar el vínculo del correo si cambia de opinión.
guest-go-to-sign-in = Ir a iniciar sesión
continue-title = Todo listo
continue-leaving = Aceptó la invitación de { $org }. Está a punto de salir de Vestibule hacia:
continue-continue = Continuar
continue-my-apps = Ir a Mis aplicaciones
