//! CPU time and memory of this process, from /proc (Linux): the server
//! runs in-process, so its figures are the process's, less the threads of
//! the load generator where that can be told apart.

/// Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on
/// every Linux architecture the portal targets).
const TICKS_PER_SECOND: f64 = 100.0;

/// The load generator's threads start with this name.
pub const CLIENT_THREAD: &str = "bench-client";

/// (user + system) CPU seconds of `stat` text: fields 14 and 15, counted
/// after the command name, which may hold spaces.
fn cpu_of_stat(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// CPU seconds of the whole process.
pub fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| cpu_of_stat(&s))
        .unwrap_or(0.0)
}

/// CPU seconds of another process (all its threads), such as a server the
/// benchmark started beside the portal; 0 once it has gone.
pub fn pid_cpu(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| cpu_of_stat(&s))
        .unwrap_or(0.0)
}

/// CPU seconds of the threads alive now whose name starts with `prefix`.
pub fn threads_cpu(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            if !comm.trim_end().starts_with(prefix) {
                return None;
            }
            cpu_of_stat(&std::fs::read_to_string(task.path().join("stat")).ok()?)
        })
        .sum()
}

/// CPU seconds of the process outside the load generator's threads (the
/// server's workers, its outbox worker, and the bench's own main thread).
pub fn server_cpu() -> f64 {
    process_cpu() - threads_cpu(CLIENT_THREAD)
}

/// (VmRSS, VmHWM) in MB.
pub fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_read_after_a_command_name_with_spaces() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_of_stat(stat), Some(3.0));
        assert!(process_cpu() >= 0.0);
        assert!(pid_cpu(std::process::id()) >= 0.0);
        assert!(memory_mb().0 > 0.0);
    }
}
