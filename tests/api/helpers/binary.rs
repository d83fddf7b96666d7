//! The real `mitan` binary as a child process: `Binary` serves (signals, exit codes, captured
//! logs; its log on a pipe, or on a terminal with `serve_on_terminal`), `run_binary` runs a
//! command to completion, `simulate` drives `mitan simulate`.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use tempfile::TempDir;

/// The real `mitan` binary as a child process, with everything it prints captured.
pub struct Binary {
    child: Option<Child>,
    pub output: Arc<Mutex<String>>,
    pub port: Option<u16>,
    pub workdir: TempDir,
}

pub struct BinaryRun {
    pub status: std::process::ExitStatus,
    pub output: String,
}

fn binary_command(workdir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mitan"));
    command
        .args(args)
        .current_dir(workdir)
        .env_remove("RUST_LOG")
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .env("MITAN__LOG__FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs the binary to completion (for commands that exit, and for start-up failures).
/// A command that should exit but is still running after [`RUN_LIMIT`] (a server that started
/// when it should have refused) is killed and fails the test, instead of hanging the suite.
pub fn run_binary(workdir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> BinaryRun {
    const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    let child = binary_command(workdir, env, args)
        .spawn()
        .expect("run mitan");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(RUN_LIMIT) {
        Ok(output) => output.expect("run mitan"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let output = finished
                .recv()
                .expect("the killed process")
                .expect("run mitan");
            panic!(
                "mitan {args:?} was still running after {RUN_LIMIT:?}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    };
    BinaryRun {
        status: output.status,
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The real service on a SQLite file of its own, logging at `debug`: for tests that scan its log
/// and its database file once it stopped.
pub struct OnFile {
    dir: TempDir,
    pub url: String,
    pub mitan: Binary,
}

impl OnFile {
    /// Starts it (call from a multi-threaded runtime: it blocks while the service starts).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// As [`OnFile::start`], with more settings in the environment.
    pub fn start_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("mitan.db").display()
        );
        let key = super::random_master_key();
        let mut env = vec![
            ("MITAN__DATABASE__URL", url.as_str()),
            ("MITAN__SECURITY__MASTER_KEY", key.as_str()),
            ("MITAN__LOG__FILTER", "debug"),
        ];
        env.extend_from_slice(extra);
        let mitan =
            tokio::task::block_in_place(|| Binary::serve(tempfile::tempdir().unwrap(), &env));
        assert!(mitan.port.is_some(), "{}", mitan.output());
        Self { dir, url, mitan }
    }

    /// Stops it with SIGTERM: its whole log, and every byte of its database (the write-ahead
    /// log and shared memory included). The file stays until this is dropped.
    pub fn stop(&mut self) -> (String, Vec<u8>) {
        self.mitan.signal("TERM");
        tokio::task::block_in_place(|| self.mitan.wait_exit(std::time::Duration::from_secs(20)))
            .expect("mitan stops");
        let mut stored = Vec::new();
        for file in ["mitan.db", "mitan.db-wal", "mitan.db-shm"] {
            stored.extend(std::fs::read(self.dir.path().join(file)).unwrap_or_default());
        }
        (self.mitan.output(), stored)
    }
}

impl Binary {
    /// Starts `mitan serve` on port 0 in `workdir` and waits until it logs its address.
    pub fn serve(workdir: TempDir, env: &[(&str, &str)]) -> Binary {
        Self::serve_with_stderr(workdir, env, None)
    }

    /// As [`Binary::serve`], with stderr (where the log goes) on a pseudo-terminal instead of a
    /// pipe, as when an operator runs mitan in a shell. What it writes there is captured too.
    pub fn serve_on_terminal(workdir: TempDir, env: &[(&str, &str)]) -> Binary {
        let terminal = Terminal::open();
        Self::serve_with_stderr(workdir, env, Some(terminal))
    }

    fn serve_with_stderr(
        workdir: TempDir,
        env: &[(&str, &str)],
        terminal: Option<Terminal>,
    ) -> Binary {
        let mut all_env = vec![("MITAN__SERVER__BIND", "127.0.0.1:0")];
        all_env.extend_from_slice(env);
        let mut command = binary_command(workdir.path(), &all_env, &["serve"]);
        let mut streams: Vec<Box<dyn std::io::Read + Send>> = Vec::new();
        if let Some(terminal) = terminal {
            command.stderr(terminal.follower);
            streams.push(Box::new(terminal.leader));
        }
        let mut child = command.spawn().expect("start mitan");
        // Only the child holds the terminal's other side now: reading it ends (EIO) once the
        // child has exited, as a pipe ends.
        drop(command);
        if let Some(stderr) = child.stderr.take() {
            streams.push(Box::new(stderr));
        }
        streams.push(Box::new(child.stdout.take().unwrap()));
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        for stream in streams {
            let output = output.clone();
            let port_tx = port_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let line = line.trim_end_matches('\r');
                    if let Some(port) = listening_port(line) {
                        let _ = port_tx.send(Some(port));
                    }
                    let mut all = output.lock().unwrap();
                    all.push_str(line);
                    all.push('\n');
                }
                let _ = port_tx.send(None);
            });
        }
        drop(port_tx);
        // The first line naming the address, or None once both streams closed (it failed).
        let port = port_rx.iter().flatten().next();
        Binary {
            child: Some(child),
            output,
            port,
            workdir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}{path}",
            self.port.expect("mitan is listening")
        )
    }

    /// The process id of the running binary.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("still running").id()
    }

    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("still running").id();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`; `None` if it is still running then.
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let pid = child.id();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(limit) {
            Ok(status) => Some(status.expect("wait")),
            Err(_) => {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                None
            }
        }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The lines of its output so far that contain `text`.
    pub fn lines_with(&self, text: &str) -> Vec<String> {
        self.output()
            .lines()
            .filter(|line| line.contains(text))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The port of the "mitan is listening" line, in JSON (`"addr": "127.0.0.1:PORT"`) or in the
/// human format (`mitan is listening addr=127.0.0.1:PORT …`, read with any colour codes taken
/// out, so that a coloured line still starts the test, which then fails on the colour).
fn listening_port(line: &str) -> Option<u16> {
    let addr = match serde_json::from_str::<serde_json::Value>(line) {
        Ok(value) => {
            if value.get("message")?.as_str()? != "mitan is listening" {
                return None;
            }
            value.get("addr")?.as_str()?.to_string()
        }
        Err(_) => {
            let plain = without_colour(line);
            let (_, fields) = plain.split_once("mitan is listening ")?;
            let (_, addr) = fields.split_once("addr=")?;
            addr.split_whitespace().next()?.to_string()
        }
    };
    addr.rsplit(':').next()?.parse().ok()
}

/// `text` without ANSI SGR sequences (`ESC [ … m`).
fn without_colour(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\x1b[") {
        plain.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('m') {
            Some(end) => rest = &after[end + 1..],
            None => rest = "",
        }
    }
    plain.push_str(rest);
    plain
}

/// A pseudo-terminal: the child gets `follower` as a standard stream, the test reads what it
/// writes from `leader`.
struct Terminal {
    leader: std::fs::File,
    follower: std::fs::File,
}

impl Terminal {
    fn open() -> Terminal {
        use std::os::fd::FromRawFd as _;
        let (mut leader, mut follower) = (-1, -1);
        // SAFETY: openpty writes two new file descriptors into the integers it is given, which
        // are then owned by the `File`s; the name, termios and window size may be null.
        let opened = unsafe {
            libc::openpty(
                &mut leader,
                &mut follower,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        for fd in [leader, follower] {
            // Not inherited by processes that other tests start meanwhile (which would keep the
            // terminal open after this child exits); the child gets the follower by dup2.
            // SAFETY: fcntl on a descriptor this function owns.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        // SAFETY: both descriptors were just opened and nothing else owns them.
        unsafe {
            Terminal {
                leader: std::fs::File::from_raw_fd(leader),
                follower: std::fs::File::from_raw_fd(follower),
            }
        }
    }
}

/// The one `mitan: error: …` line of what the binary printed; fails unless there is exactly one.
pub fn the_error_line(output: &str) -> &str {
    let errors: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with("mitan: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{output}");
    errors[0]
}

/// Runs `mitan simulate ARGS` against a running `mitan`, typing `input`, and returns everything
/// it showed; fails the test unless it exits successfully.
pub fn simulate(mitan: &Binary, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let url = mitan.url("");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mitan"));
    command
        .arg("simulate")
        .args(args)
        .args(["--url", &url])
        .current_dir(mitan.workdir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start mitan simulate");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{shown}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    shown
}
