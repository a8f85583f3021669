//! The table `vestibule-bench` prints (Markdown, so it can go into the
//! README as it is), one column per store, each figure beside its ceiling
//! or target.

use serde::Serialize;

use crate::http::LoadResult;
use crate::run::StoreResult;

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gb: f64,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("unknown")
            .trim()
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_gb = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0 / 1024.0)
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned();
        Self {
            cpu,
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            memory_gb,
            kernel,
        }
    }
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How the oidc-provider rows were measured, under the table.
const OIDC_PROVIDER_NOTE: &str = "\noidc-provider runs in a Node.js process beside the portal (`bench/oidc_provider_server.mjs`, \
    NODE_ENV=production, its in-memory adapter), sent the same client-credentials request as Vestibule; its CPU is \
    that process's. The ratio is Vestibule's tokens per second ÷ oidc-provider's at the same concurrency. A JWT is \
    signed (RS256, 2048-bit keys on both); an opaque token is a random value oidc-provider stores.\n";

/// What "CPU per invite" counts, under the table.
const CPU_PER_INVITE_NOTE: &str = "\n\"CPU per invite\" is the Vestibule process's CPU (less the load generator's \
    threads) divided by the invitations. On SQLite it includes the database's work, which runs in the process; \
    PostgreSQL's own CPU, in its server's processes, is not in it, so the two columns are not comparable.\n";

fn ms(x: f64) -> String {
    if x < 10.0 { format!("{x:.2}") } else { format!("{x:.1}") }
}

fn load_cell(r: &LoadResult, ceiling: Option<f64>) -> String {
    let mut s = format!(
        "{} req/s, p50 {} / p99 {} ms",
        thousands(r.rps),
        ms(r.p50_ms),
        ms(r.p99_ms)
    );
    if let Some(c) = ceiling.filter(|c| *c > 0.0) {
        s.push_str(&format!(", {:.2}× ceiling", r.rps / c));
    }
    if r.errors > 0 {
        s.push_str(&format!(", {} errors", r.errors));
    }
    s
}

struct Table {
    stores: Vec<String>,
    rows: Vec<(String, Vec<String>, String)>,
}

impl Table {
    fn row(&mut self, figure: impl Into<String>, cells: Vec<String>, reference: impl Into<String>) {
        self.rows.push((figure.into(), cells, reference.into()));
    }

    fn render(&self) -> String {
        let mut out = format!("| Figure | {} | Ceiling or target |\n", self.stores.join(" | "));
        out.push_str(&format!("|---|{}---|\n", "---|".repeat(self.stores.len())));
        for (figure, cells, reference) in &self.rows {
            out.push_str(&format!("| {figure} | {} | {reference} |\n", cells.join(" | ")));
        }
        out
    }
}

pub fn table(results: &[StoreResult], machine: &Machine) -> String {
    let mut t = Table {
        stores: results
            .iter()
            .map(|r| {
                if r.store == "sqlite" {
                    "SQLite".into()
                } else {
                    "PostgreSQL".into()
                }
            })
            .collect(),
        rows: Vec::new(),
    };
    let each = |f: &dyn Fn(&StoreResult) -> String| results.iter().map(f).collect::<Vec<_>>();
    let ceiling = |r: &StoreResult| r.pages.first().map(|p| p.result.rps);

    if let Some(first) = results.first() {
        for (i, page) in first.pages.iter().enumerate() {
            let reference = if i == 0 {
                "the ceiling".to_owned()
            } else if page.name.starts_with("My Apps") {
                "≥ 0.5× ceiling, p99 < 10 ms".to_owned()
            } else {
                String::new()
            };
            t.row(
                format!("{} ({} connections)", page.name, first.connections),
                each(&|r| {
                    r.pages
                        .get(i)
                        .map(|p| load_cell(&p.result, if i == 0 { None } else { ceiling(r) }))
                        .unwrap_or_default()
                }),
                reference,
            );
        }
        for (i, inv) in first.invites.iter().enumerate() {
            let reference = match (inv.way.as_str(), inv.concurrency) {
                ("HTTP form", 8) => "≥ 1,500/s and ≤ 0.5 ms CPU per invite",
                ("HTTP form", _) => "≤ 0.5 ms CPU per invite",
                _ => "",
            };
            t.row(
                format!("Invitations, {}, {} at a time", inv.way, inv.concurrency),
                each(&|r| {
                    r.invites
                        .get(i)
                        .map(|v| {
                            format!(
                                "{}/s, {} ms CPU per invite{}",
                                thousands(v.per_second),
                                ms(v.cpu_ms_per_invite),
                                if v.failed > 0 {
                                    format!(", {} failed", v.failed)
                                } else {
                                    String::new()
                                }
                            )
                        })
                        .unwrap_or_default()
                }),
                reference,
            );
        }
        if first.bulk_invitations > 0 {
            let n = first.bulk_invitations;
            let label = if n < 100_000 {
                format!(
                    "{} invitations in bulk (`--quick`; the target is for 100,000), `invite-bulk` from CSV to commit",
                    thousands(n as f64)
                )
            } else {
                format!(
                    "{} invitations in bulk, `invite-bulk` from CSV to commit",
                    thousands(n as f64)
                )
            };
            t.row(
                label,
                each(&|r| {
                    format!(
                        "{:.1} s ({}/s)",
                        r.bulk_seconds,
                        thousands(r.bulk_invitations as f64 / r.bulk_seconds.max(1e-9))
                    )
                }),
                "100,000 in < 20 s on SQLite",
            );
            if first.bulk_page_invitations > 0 {
                t.row(
                    format!(
                        "{} invitations in bulk, the Bulk invite page from upload to the job's end",
                        thousands(first.bulk_page_invitations as f64)
                    ),
                    each(&|r| {
                        format!(
                            "{:.1} s ({}/s)",
                            r.bulk_page_seconds,
                            thousands(r.bulk_page_invitations as f64 / r.bulk_page_seconds.max(1e-9))
                        )
                    }),
                    "beside `invite-bulk`",
                );
            }
        }
        if first.mail_backlog > 0 {
            t.row(
                "Mail: backlog delivered to the SMTP sink",
                each(&|r| format!("{} mails/s ({} mails)", thousands(r.mail_per_second), r.mail_backlog)),
                "≥ 1,000 mails/s",
            );
        }
        if first.mail_delay_samples > 0 {
            t.row(
                "Mail: commit to SMTP server",
                each(&|r| {
                    format!(
                        "p50 {} / p99 {} ms ({} mails)",
                        ms(r.mail_delay_p50_ms),
                        ms(r.mail_delay_p99_ms),
                        r.mail_delay_samples
                    )
                }),
                "p99 < 1,000 ms",
            );
        }
        t.row(
            "Start: Application::build to first /readyz",
            each(&|r| format!("{} ms", ms(r.start_ms))),
            "< 300 ms",
        );
        t.row(
            "Memory (VmRSS): idle / after load / peak (VmHWM)",
            each(&|r| {
                format!(
                    "{:.0} / {:.0} / {:.0} MB",
                    r.memory_idle_mb, r.memory_after_load_mb, r.memory_peak_mb
                )
            }),
            "idle < 30 MB, load < 150 MB",
        );
        for (i, step) in first.scale.iter().enumerate() {
            let users = |r: &StoreResult| r.scale.get(i).map(|s| s.users).unwrap_or(0);
            let cell = |f: fn(&crate::run::Scale) -> &LoadResult| {
                each(&|r| {
                    r.scale
                        .get(i)
                        .map(|s| format!("p50 {} / p99 {} ms", ms(f(s).p50_ms), ms(f(s).p99_ms)))
                        .unwrap_or_default()
                })
            };
            let label = format!("{} users", thousands(users(first) as f64));
            t.row(
                format!("Seeding to {label}"),
                each(&|r| {
                    r.scale
                        .get(i)
                        .map(|s| format!("{:.1} s ({} users)", s.seed_seconds, thousands(s.users as f64)))
                        .unwrap_or_default()
                }),
                String::new(),
            );
            let target = if i + 1 == first.scale.len() && step.users >= 900_000 {
                "p99 < 20 ms, ≤ 2× the 10k time"
            } else {
                ""
            };
            t.row(
                format!("All users, first page, {label} (8 conn.)"),
                cell(|s| &s.first_page),
                target,
            );
            t.row(
                format!("All users, prefix search, {label} (8 conn.)"),
                cell(|s| &s.search),
                "",
            );
            t.row(format!("User profile, {label} (8 conn.)"), cell(|s| &s.profile), "");
        }
        if first.my_apps_200_groups.requests > 0 {
            t.row(
                format!("My Apps: member of 200 groups ({} connections)", first.connections),
                each(&|r| load_cell(&r.my_apps_200_groups, ceiling(r))),
                "",
            );
        }
        if first.oidc.is_some() {
            t.row(
                "OpenID Connect: code exchanges (authorize + token, 8 conn.)",
                each(&|r| {
                    r.oidc
                        .as_ref()
                        .map(|o| {
                            let mut s = format!(
                                "{} /s, {} ms server CPU each",
                                thousands(o.per_second),
                                ms(o.cpu_ms_per_exchange)
                            );
                            if o.failed > 0 {
                                s.push_str(&format!(", {} failed", o.failed));
                            }
                            s
                        })
                        .unwrap_or_default()
                }),
                "≤ 0.3 ms CPU per exchange (RS256)",
            );
            t.row(
                "One signature alone: RS256 / ES256",
                each(&|r| {
                    r.oidc
                        .as_ref()
                        .map(|o| format!("{} / {} ms", ms(o.rs256_sign_ms), ms(o.es256_sign_ms)))
                        .unwrap_or_default()
                }),
                "an exchange signs two tokens",
            );
            t.row(
                format!("UserInfo ({} connections)", first.connections),
                each(&|r| {
                    r.oidc
                        .as_ref()
                        .map(|o| load_cell(&o.userinfo, ceiling(r)))
                        .unwrap_or_default()
                }),
                "",
            );
        }
        if let Some(api) = &first.api {
            api_rows(&mut t, results, api);
        }
        t.row(
            "Wall time of this store's run",
            each(&|r| format!("{:.0} s", r.total_seconds)),
            String::new(),
        );
    }
    let mut cpu_note = if results.iter().any(|r| !r.invites.is_empty() || r.api.is_some()) {
        CPU_PER_INVITE_NOTE.to_owned()
    } else {
        String::new()
    };
    if results
        .iter()
        .any(|r| r.api.as_ref().is_some_and(|a| a.oidc_provider_measured))
    {
        cpu_note.push_str(OIDC_PROVIDER_NOTE);
    }
    format!(
        "Machine: {} cores ({}), {:.0} GB RAM, Linux {}. Load generator in the same process on its own 2 threads, \
         sharing the cores with the server.\n\n{}{cpu_note}",
        machine.cores,
        machine.cpu,
        machine.memory_gb,
        machine.kernel,
        t.render()
    )
}

/// The API's rows: invitations, tokens beside oidc-provider, user pages.
fn api_rows(t: &mut Table, results: &[StoreResult], first: &crate::api::ApiFigures) {
    let each = |f: &dyn Fn(&crate::api::ApiFigures) -> String| {
        results
            .iter()
            .map(|r| r.api.as_ref().map(f).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    for (i, inv) in first.invitations.iter().enumerate() {
        t.row(
            format!(
                "API: `POST /v1.0/invitations`, {} at a time, {}",
                inv.concurrency,
                if inv.send_mail {
                    "sendInvitationMessage true (CPU until the mail is sent)"
                } else {
                    "no email"
                }
            ),
            each(&|a| {
                a.invitations
                    .get(i)
                    .map(|v| {
                        let mut s = format!(
                            "{}/s, {} ms CPU per invitation, p50 {} / p99 {} ms",
                            thousands(v.per_second),
                            ms(v.cpu_ms_per_invitation),
                            ms(v.p50_ms),
                            ms(v.p99_ms)
                        );
                        if v.failed > 0 {
                            s.push_str(&format!(", {} failed", v.failed));
                        }
                        s
                    })
                    .unwrap_or_default()
            }),
            "≤ 0.5 ms CPU per invitation",
        );
    }
    for (i, tok) in first.tokens.iter().enumerate() {
        let server = if tok.server == "Vestibule" {
            "Vestibule".to_owned()
        } else {
            first.oidc_provider.clone()
        };
        t.row(
            format!(
                "API: client-credentials tokens, {server}, {} access token, {} at a time",
                tok.format, tok.concurrency
            ),
            each(&|a| {
                a.tokens
                    .get(i)
                    .map(|v| {
                        let mut s = format!(
                            "{} tokens/s, {} ms CPU per token, p50 {} / p99 {} ms",
                            thousands(v.result.rps),
                            ms(v.cpu_ms_per_token),
                            ms(v.result.p50_ms),
                            ms(v.result.p99_ms)
                        );
                        if v.server != "Vestibule"
                            && let Some(ours) = a
                                .tokens
                                .iter()
                                .find(|o| o.server == "Vestibule" && o.concurrency == v.concurrency)
                        {
                            s.push_str(&format!(
                                "; Vestibule ÷ oidc-provider {:.2}× tokens/s, {:.2}× CPU per token",
                                ours.result.rps / v.result.rps.max(1e-9),
                                ours.cpu_ms_per_token / v.cpu_ms_per_token.max(1e-9)
                            ));
                        }
                        if v.result.errors > 0 {
                            s.push_str(&format!(", {} errors", v.result.errors));
                        }
                        s
                    })
                    .unwrap_or_default()
            }),
            "",
        );
    }
    if !first.oidc_provider_measured {
        t.row(
            "API: oidc-provider beside Vestibule",
            each(&|a| a.oidc_provider.clone()),
            "",
        );
    }
    t.row(
        "API: one token through the service alone (no HTTP) / one RS256 signature alone",
        each(&|a| format!("{} / {} ms CPU", ms(a.token_service_cpu_ms), ms(a.rs256_sign_ms))),
        "",
    );
    if let Some(users) = &first.users {
        let label = format!("{} users", thousands(users.users as f64));
        if users.seed_seconds > 0.0 {
            t.row(
                format!("API: seeding to {label}"),
                each(&|a| {
                    a.users
                        .as_ref()
                        .map(|u| format!("{:.1} s ({} users)", u.seed_seconds, thousands(u.users as f64)))
                        .unwrap_or_default()
                }),
                "",
            );
        }
        t.row(
            format!("API: `GET /v1.0/users?$top=100` following @odata.nextLink, one client, {label}"),
            each(&|a| {
                a.users
                    .as_ref()
                    .map(|u| format!("{} pages/s ({} pages)", thousands(u.walk_per_second), u.walk_pages))
                    .unwrap_or_default()
            }),
            "",
        );
        for (i, q) in users.queries.iter().enumerate() {
            t.row(
                format!(
                    "API: `GET /v1.0/users?$top=100`, {}, {label} ({} conn.)",
                    q.name, users.connections
                ),
                each(&|a| {
                    a.users
                        .as_ref()
                        .and_then(|u| u.queries.get(i))
                        .map(|q| {
                            format!(
                                "{} pages/s, p50 {} / p99 {} ms{}",
                                thousands(q.result.rps),
                                ms(q.result.p50_ms),
                                ms(q.result.p99_ms),
                                if q.result.errors > 0 {
                                    format!(", {} errors", q.result.errors)
                                } else {
                                    String::new()
                                }
                            )
                        })
                        .unwrap_or_default()
                }),
                "",
            );
        }
    } else if first.users_error.is_some() {
        t.row(
            "API: `GET /v1.0/users` pages",
            each(&|a| {
                a.users_error
                    .as_ref()
                    .map(|e| format!("not measured: {}", e.chars().take(160).collect::<String>()))
                    .unwrap_or_default()
            }),
            "",
        );
    }
}
