//! The acting principal every use case takes: who is acting, as the audit
//! log names them, with the directory roles that decide what they may do
//! and to whom (`domain::user_action`).

use crate::domain::Role;
use crate::store::audit::Actor;

/// Who is acting, with the roles that decide what they may touch. A signed-in
/// admin (`CurrentUser::as_admin` in the web layer), or the command line
/// acting as a named Global Administrator.
pub struct Admin<'a> {
    pub actor: Actor,
    pub id: &'a str,
    pub roles: &'a [Role],
}
