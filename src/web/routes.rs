//! The route table as data. Each group of routes is written once, in
//! `route_table!`, which both registers the handlers and lists the routes, so
//! the role × route × target test walks exactly what the portal serves.

/// One served route: its method and its full path pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// `"GET"`, `"POST"`, `"PATCH"` or `"DELETE"`.
    pub method: &'static str,
    pub path: &'static str,
}

/// `route_table!(TABLE, register, "/prefix", { get "/path" => handler, … })`
/// defines `TABLE` (the routes with the prefix prepended) and
/// `register(cfg)`, which adds them to a scope mounted at that prefix.
///
/// `route_table!(resource TABLE, build, "/path", { get => handler, … })`
/// defines `TABLE` and `build()`, one resource at that path answering each
/// method (and 405 for any other, which separate routes would not).
macro_rules! route_table {
    (resource $table:ident, $build:ident, $path:literal, { $($method:ident => $handler:path),* $(,)? }) => {
        /// Every route of this resource.
        pub const $table: &[$crate::web::routes::Route] = &[
            $($crate::web::routes::Route {
                method: $crate::web::routes::method_name(stringify!($method)),
                path: $path,
            }),*
        ];

        pub fn $build() -> actix_web::Resource {
            actix_web::web::resource($path)$(.route(actix_web::web::$method().to($handler)))*
        }
    };
    ($table:ident, $register:ident, $prefix:literal, { $($method:ident $path:literal => $handler:path),* $(,)? }) => {
        /// Every route this group registers, with its full path.
        pub const $table: &[$crate::web::routes::Route] = &[
            $($crate::web::routes::Route {
                method: $crate::web::routes::method_name(stringify!($method)),
                path: concat!($prefix, $path),
            }),*
        ];

        pub fn $register(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.route($path, actix_web::web::$method().to($handler));)*
        }
    };
}
pub(crate) use route_table;

/// The HTTP method named by a `route_table!` entry.
pub const fn method_name(name: &'static str) -> &'static str {
    match name.as_bytes() {
        b"get" => "GET",
        b"post" => "POST",
        b"patch" => "PATCH",
        b"delete" => "DELETE",
        _ => panic!("route_table! knows get, post, patch and delete"),
    }
}

/// Every route of the portal.
pub fn all() -> Vec<Route> {
    let groups: [&[Route]; 8] = [
        super::PLAIN_ROUTES,
        super::SIGNIN_ROUTES,
        super::SIGNIN_CODE_ROUTES,
        super::REDEEM_ROUTES,
        super::admin::ROUTES,
        super::dev_mailbox::ROUTES,
        super::oidc::OIDC_ROUTES,
        super::graph::GRAPH_ROUTES,
    ];
    groups.concat()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_listed_once_with_a_full_path() {
        let routes = super::all();
        let mut seen = std::collections::HashSet::new();
        for route in &routes {
            assert!(route.path.starts_with('/'), "{route:?}");
            assert!(seen.insert((route.method, route.path)), "{route:?} is listed twice");
        }
        assert!(seen.contains(&("POST", "/admin/users/{id}/reset-redemption")));
        assert!(seen.contains(&("GET", "/signin")) && seen.contains(&("GET", "/dev/mailbox")));
    }
}
