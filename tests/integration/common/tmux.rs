//! A real terminal for tests: a tmux server of the test's own, driven as a
//! person would (keys in, screen out).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(name: &str) -> Option<Tmux> {
        Tmux::start_sized(name, 120, 40)
    }

    pub fn start_sized(name: &str, width: u16, height: u16) -> Option<Tmux> {
        let available = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !available {
            eprintln!("note: tmux is not installed; skipping the terminal test");
            return None;
        }
        let tmux = Tmux {
            socket: format!("specscope-{name}-{}", std::process::id()),
        };
        let ok = tmux
            .run(&[
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                "sh",
            ])
            .status
            .success();
        assert!(ok, "tmux starts a session");
        Some(tmux)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("NO_COLOR")
            .output()
            .expect("tmux runs")
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    pub fn alternate_screen_on(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "0", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Waits until the screen satisfies `test` and has settled; panics with
    /// the screen if it never does.
    pub fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last: Option<String> = None;
        loop {
            let screen = self.screen();
            // A frame can be caught half written: the screen must pass
            // twice in a row, unchanged, to count.
            if test(&screen) && last.as_deref() == Some(screen.as_str()) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen shows:\n{screen}");
            }
            last = test(&screen).then_some(screen);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The exit status the shell printed after the explorer quit. The typed
/// command line holds `specscope-exit=$?`, which must not count.
pub fn exit_code(screen: &str) -> Option<i32> {
    screen.match_indices("specscope-exit=").find_map(|(at, m)| {
        let digits: String = screen[at + m.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}
