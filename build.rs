// sqlx::migrate! embeds the migration folders; rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    // fluent-templates embeds the .ftl files under locales/.
    println!("cargo:rerun-if-changed=locales");
}
