//! The suite's machinery: finding Chromium, building and running the example server, reading
//! its mail from its standard output, and a thin layer over the `WebDriver` client.

use base64ct::Encoding as _;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// Written straight to the terminal, past the test harness's capture.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn find(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium and chromedriver, or why not.
pub fn tools() -> Result<(PathBuf, PathBuf), String> {
    let chromium = find(
        "KENPO_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    )
    .ok_or("no chromium on PATH (apt-get install chromium chromium-driver)")?;
    let driver = find("KENPO_CHROMEDRIVER", &["chromedriver"])
        .ok_or("no chromedriver on PATH (apt-get install chromium-driver)")?;
    Ok((chromium, driver))
}

/// target/<profile>, from this test binary's place (target/<profile>/deps/browser-…).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

pub fn screenshots() -> PathBuf {
    profile_dir().parent().unwrap().join("screenshots")
}

/// Builds the example (a no-op when `cargo test` already did) and returns its binary.
fn example_binary() -> PathBuf {
    let profile = profile_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--quiet",
            "--example",
            "web",
            "--features",
            "sqlite,tokio",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", profile.parent().unwrap());
    if profile.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    assert!(
        build.status().unwrap().success(),
        "cargo build --example web failed"
    );
    profile
        .join("examples")
        .join(format!("web{}", std::env::consts::EXE_SUFFIX))
}

#[derive(Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The example server on a free port, its mail read from its standard output.
pub struct Server {
    child: Child,
    pub base: String,
    /// What the server printed first (where it listens, on which database).
    pub first_line: String,
    mails: Arc<Mutex<Vec<Mail>>>,
    log: PathBuf,
}

impl Server {
    pub fn start(db: &Path, extra: &[&str]) -> Server {
        // One log per server started (a test may start several on one database).
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let log = db.with_extension(format!("log{n}"));
        let mut child = Command::new(example_binary())
            .arg("--db")
            .arg(db)
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("the server said nothing").unwrap();
        let base = first
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .expect("listening on http://…")
            .trim_end_matches('/')
            .to_owned();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&mails);
        std::thread::spawn(move || {
            let mut open: Option<Mail> = None;
            for line in lines.map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("┌─ mail to ") {
                    let (to, subject) = rest.split_once(" ─ ").unwrap_or((rest, ""));
                    open = Some(Mail {
                        to: to.into(),
                        subject: subject.into(),
                        body: String::new(),
                    });
                } else if let (Some(mail), Some(text)) = (open.as_mut(), line.strip_prefix("│ "))
                {
                    mail.body.push_str(text);
                    mail.body.push('\n');
                } else if line.starts_with("└─") {
                    if let Some(mail) = open.take() {
                        sink.lock().unwrap().push(mail);
                    }
                }
            }
        });
        Server {
            child,
            base,
            first_line: first,
            mails,
            log,
        }
    }

    /// What the server has logged so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn mail_count(&self) -> usize {
        self.mails.lock().unwrap().len()
    }

    /// The first mail to `to` after the first `seen` mails, waited for.
    pub async fn mail_after(&self, seen: usize, to: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            {
                let mut mails = self.mails.lock().unwrap();
                if let Some(at) = mails.iter().skip(seen).position(|m| m.to == to) {
                    return mails.remove(seen + at);
                }
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to}; server log: {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code in the next mail to `to`: six digits, or a reset code `XXXX-XXXX-XXXX`.
    pub async fn code_after(&self, seen: usize, to: &str, reset: bool) -> String {
        let mail = self.mail_after(seen, to).await;
        let pattern = if reset {
            r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b"
        } else {
            r"\b[0-9]{6}\b"
        };
        let code = regex::Regex::new(pattern)
            .unwrap()
            .find(&mail.body)
            .map(|m| m.as_str().to_owned());
        code.unwrap_or_else(|| panic!("no code in {mail:?}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One form post or get over plain HTTP/1.1 (no cookies): the head and the body.
pub fn http(base: &str, request_line: &str, form: &str) -> (String, String) {
    send(
        base,
        request_line,
        "application/x-www-form-urlencoded",
        form,
    )
}

/// Every byte as `%XX`: a form value that needs no thought about which bytes are safe.
pub fn percent_encode(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "%{b:02X}");
        out
    })
}

/// The `name=value` of the session cookie a response sets, if it sets one.
pub fn set_cookie(head: &str) -> Option<String> {
    let line = head.lines().find_map(|line| {
        line.strip_prefix("set-cookie: ")
            .or(line.strip_prefix("Set-Cookie: "))
    })?;
    line.split(';').next().map(str::to_owned)
}

/// The CSRF token of the (first) form of a page.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form's CSRF field")
        .to_owned()
}

/// Logs `user_id` in over plain HTTP, as a second device would: its session cookie.
pub fn http_login(base: &str, user_id: &str, password: &str) -> String {
    let (head, body) = http(base, "GET /login HTTP/1.1", "");
    let cookie = set_cookie(&head).expect("a session cookie");
    let form = format!("user_id={user_id}&password={}", percent_encode(password));
    let (status, cookie) = http_post_as(base, "/login", &cookie, &csrf_in(&body), &form);
    assert!(status.starts_with("HTTP/1.1 303"), "the login: {status}");
    cookie
}

/// Posts `form` with token `csrf` to `path` in the visit of `cookie`: the status line with
/// its `Location`, and the session cookie after it.
pub fn http_post_as(
    base: &str,
    path: &str,
    cookie: &str,
    csrf: &str,
    form: &str,
) -> (String, String) {
    let line = format!("POST {path} HTTP/1.1\r\nCookie: {cookie}");
    let (head, _) = http(base, &line, &format!("csrf={csrf}&{form}"));
    let after = set_cookie(&head).unwrap_or_else(|| cookie.to_owned());
    (status_and_location(&head), after)
}

/// The page at `path` fetched with `cookie`: the status line with its `Location`, and the
/// body.
pub fn http_get_as(base: &str, path: &str, cookie: &str) -> (String, String) {
    let line = format!("GET {path} HTTP/1.1\r\nCookie: {cookie}");
    let (head, body) = http(base, &line, "");
    (status_and_location(&head), body)
}

fn status_and_location(head: &str) -> String {
    let status = head.lines().next().unwrap_or_default().to_owned();
    let location = head.lines().find_map(|line| {
        line.to_ascii_lowercase()
            .strip_prefix("location: ")
            .map(str::to_owned)
    });
    format!("{status} -> {}", location.unwrap_or_default())
}

fn http_json(base: &str, request_line: &str, json: &str) -> (String, String) {
    send(base, request_line, "application/json", json)
}

fn send(base: &str, request_line: &str, content_type: &str, form: &str) -> (String, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    let mut request = format!("{request_line}\r\nHost: {host}\r\nConnection: close\r\n");
    if !form.is_empty() {
        let _ = write!(
            request,
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            form.len()
        );
    }
    request.push_str("\r\n");
    request.push_str(form);
    stream.write_all(request.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // Read the head, then exactly Content-Length bytes (chromedriver keeps connections open).
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    let mut body = Vec::new();
    match length {
        Some(length) => {
            body.resize(length, 0);
            reader.read_exact(&mut body).unwrap();
        }
        None => {
            reader.read_to_end(&mut body).unwrap();
        }
    }
    (head, String::from_utf8_lossy(&body).into_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Headless Chromium through chromedriver.
pub struct Browser {
    driver: Child,
    port: u16,
    client: Client,
    base: Mutex<String>,
}

impl Browser {
    pub async fn start(chromium: &Path, chromedriver: &Path, base: &str) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,800", "--lang=ja", "--hide-scrollbars"],
            }
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Browser {
            driver,
            port,
            client,
            base: Mutex::new(base.to_owned()),
        }
    }

    pub fn set_base(&self, base: &str) {
        base.clone_into(&mut self.base.lock().unwrap());
    }

    pub async fn go(&self, path: &str) {
        let url = format!("{}{path}", self.base.lock().unwrap());
        self.client.goto(&url).await.unwrap();
    }

    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Presses Enter in field `css`, submitting its form, and waits until the page is left.
    pub async fn press_enter(&self, css: &str) {
        self.leaving(|| async {
            let field = self.client.find(Locator::Css(css)).await.unwrap();
            field.send_keys("\u{E007}").await.unwrap();
        })
        .await;
    }

    /// The demo member Kenpo Shoko's insurer code, symbol, number and birth date (1975-03-02)
    /// on an identity form; the name is left to the caller, who types it each time differently.
    pub async fn fill_shokos_card(&self) {
        self.fill("#insurer_code", "06139999").await;
        self.fill("#symbol", "1234").await;
        self.fill("#number", "567").await;
        self.select("#birth_year", "1975").await;
        self.select("#birth_month", "3").await;
        self.select("#birth_day", "2").await;
    }

    pub async fn select(&self, css: &str, value: &str) {
        let select = self.client.find(Locator::Css(css)).await.unwrap();
        select.select_by_value(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        element.click().await.unwrap();
    }

    /// Clicks the button `css` of a form and waits until the browser has left the page, so
    /// that the next step never reads or fills the page the form was posted from.
    pub async fn submit(&self, css: &str) {
        self.leaving(|| self.click(css)).await;
    }

    /// Follows the link showing `text`, and waits until the browser has left the page.
    pub async fn click_link(&self, text: &str) {
        self.leaving(|| async {
            let link = self.client.find(Locator::LinkText(text)).await.unwrap();
            link.click().await.unwrap();
        })
        .await;
    }

    /// Runs `step`, then waits until the page it started on is gone (its root element stale).
    async fn leaving<F: Future<Output = ()>>(&self, step: impl FnOnce() -> F) {
        let old_page = self.client.find(Locator::Css("html")).await.unwrap();
        step().await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while old_page.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "the page did not change");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn login(&self, user_id: &str, password: &str) {
        self.fill("#user_id", user_id).await;
        self.fill("#password", password).await;
        self.submit("form[action='/login'] button").await;
    }

    /// The value of the session cookie the browser holds (it is `HttpOnly`; `WebDriver` sees it).
    pub async fn session_cookie(&self) -> String {
        let cookie = self.client.get_named_cookie("kenpo").await;
        cookie.expect("a session cookie").value().to_owned()
    }

    /// The menu's ログアウト, and the login page's notice that it worked.
    pub async fn logout(&self) {
        self.submit("form[action='/logout'] button").await;
        self.expect_text("ログアウトしました").await;
    }

    /// Waits until the page shows `text`.
    pub async fn expect_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let source = self.source().await;
            if source.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} on the page:\n{source}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn expect_heading(&self, heading: &str) {
        self.expect_text(&format!("<h1>{heading}")).await;
    }

    /// The field's error is on the page, and the field points at it (`aria-describedby`).
    pub async fn expect_field_error(&self, id: &str) {
        self.expect_text(&format!("id=\"{id}-error\"")).await;
        let field = self
            .client
            .find(Locator::Css(&format!("#{id}")))
            .await
            .unwrap();
        let described = field
            .attr("aria-describedby")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(
            described.split(' ').any(|d| d == format!("{id}-error")),
            "#{id} aria-describedby={described:?}"
        );
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
    }

    /// Changes the login form's hidden CSRF field, as a forged cross-site form would carry.
    pub async fn forge_csrf(&self) {
        let script = "document.querySelector(\"form[action='/login'] input[name=csrf]\").value = '0'.repeat(64);";
        self.client.execute(script, vec![]).await.unwrap();
    }

    /// A Chrome `DevTools` command through chromedriver (`goog/cdp/execute`), over plain HTTP.
    async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        let session = self.client.session_id().await.unwrap().unwrap();
        let body = serde_json::json!({ "cmd": cmd, "params": params }).to_string();
        let line = format!("POST /session/{session}/goog/cdp/execute HTTP/1.1");
        let (head, answer) = http_json(&format!("http://127.0.0.1:{}", self.port), &line, &body);
        assert!(head.starts_with("HTTP/1.1 200"), "{cmd}: {head}\n{answer}");
        serde_json::from_str::<serde_json::Value>(&answer).unwrap()["value"].take()
    }

    /// Screenshots of the whole page as it is, in a 1280×800 and a 390×844 viewport.
    pub async fn shot(&self, name: &str) {
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        for (width, height, tag) in [(390, 844, "mobile"), (1280, 800, "desktop")] {
            let metrics = serde_json::json!({
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
            });
            self.cdp("Emulation.setDeviceMetricsOverride", metrics)
                .await;
            let layout = self
                .cdp("Page.getLayoutMetrics", serde_json::json!({}))
                .await;
            let full = layout["cssContentSize"]["height"]
                .as_f64()
                .unwrap_or(0.0)
                .max(f64::from(height));
            let shot = self
                .cdp(
                    "Page.captureScreenshot",
                    serde_json::json!({
                        "format": "png", "captureBeyondViewport": true,
                        "clip": { "x": 0, "y": 0, "width": width, "height": full, "scale": 1 },
                    }),
                )
                .await;
            let png = base64ct::Base64::decode_vec(shot["data"].as_str().unwrap()).unwrap();
            std::fs::write(dir.join(format!("{name}-{tag}.png")), png).unwrap();
        }
    }

    pub async fn finish(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
