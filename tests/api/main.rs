//! Integration tests: each starts the real portal on a random port against
//! a fresh database (SQLite, or PostgreSQL when VESTIBULE_TEST_POSTGRES_URL
//! is set) and speaks HTTP to it.

#[path = "../common/mod.rs"]
mod common;

mod api_permissions;
mod applications;
mod audit;
mod audit_export;
mod b2b_collaboration;
mod bulk_invite;
mod cli;
mod client_libraries;
mod code_attempts;
mod collaboration_restrictions;
mod csrf;
mod deleted_users;
mod demo_app;
mod directory;
mod errors;
mod fake_idp;
mod graph_audit_logs;
mod graph_batch;
mod graph_groups;
mod graph_hostile_input;
mod graph_invitations;
mod graph_openapi;
mod graph_schemathesis;
mod graph_sdks;
mod graph_service_principals;
mod graph_user_reads;
mod graph_user_writes;
mod graph_users;
mod graph_users_query;
mod groups;
mod headers;
mod health;
mod home_provider;
mod host;
mod identity_provider_redemption;
mod identity_providers;
mod invitations;
mod invite_guest;
mod invite_level;
mod languages;
mod layers;
mod my_apps;
mod openid_connect;
mod outbox;
mod passwords;
mod rate_limits;
mod redemption;
mod roles;
mod route_access;
mod route_access_api;
mod sessions;
mod settings;
mod sign_in_logs;
mod signin;
mod single_sign_on;
mod singleton_jobs;
mod store_types;
mod target_reach;
mod tls;
mod users;
