//! Headless Chromium for the web app's tests: chromedriver started on a free port, a fantoccini
//! session on it, axe-core injected into a page, screenshots saved.
//!
//! What the tests need from outside is looked for here: `chromium` and `chromedriver` on
//! `PATH` (Debian's `chromium` and `chromium-driver`) and axe-core at
//! `target/axe/package/axe.min.js` (`scripts/test.sh` fetches it from the npm registry). Without
//! one, [`Browser::start`] says why and the test skips (it fails under `CI=true`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;

use crate::support::skip_because;

/// The workspace's `target/` directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|candidate| candidate.is_file())
    })
}

/// A chromedriver process and a session of headless Chromium on it.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    axe: String,
    shots: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or `None` after saying what is
    /// missing.
    pub(crate) async fn start() -> Option<Browser> {
        let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
        else {
            skip_because(
                "chromium or chromedriver is not on PATH (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let axe_path = target_dir().join("axe/package/axe.min.js");
        let Ok(axe) = std::fs::read_to_string(&axe_path) else {
            skip_because(&format!(
                "{} is absent (scripts/test.sh fetches axe-core from the npm registry)",
                axe_path.display()
            ));
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=en-US"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("a WebDriver session with headless Chromium");
        let shots = target_dir().join("ui-screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        Some(Browser {
            client,
            driver,
            axe,
            shots,
        })
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    /// The text of the first element matching `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Types `value` into the input matching `css` (clearing it first).
    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }

    /// Chooses the file at `path` in the file input matching `css`.
    pub(crate) async fn upload(&self, css: &str, path: &str) {
        self.find(css)
            .await
            .send_keys(path)
            .await
            .unwrap_or_else(|error| panic!("{css} = {path}: {error}"));
    }

    /// Chooses the option `value` of the select matching `css`.
    pub(crate) async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("{css} = {value}: {error}"));
    }

    /// Clicks the submit button matching `css` and waits for the next page to load (the button
    /// goes stale, then the document is complete).
    pub(crate) async fn submit(&self, css: &str) {
        let button = self.find(css).await;
        button
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {css}: {error}"));
        self.next_page(css, button).await;
    }

    /// Presses Enter on the button matching `css` from the keyboard (it must be focusable and
    /// operable without a pointer) and waits for the next page.
    pub(crate) async fn press_enter(&self, css: &str) {
        let button = self.find(css).await;
        button
            .send_keys("\u{E007}")
            .await
            .unwrap_or_else(|error| panic!("Enter on {css}: {error}"));
        self.next_page(css, button).await;
    }

    /// Waits until `button`'s page is gone and the next one is loaded.
    async fn next_page(&self, css: &str, button: fantoccini::elements::Element) {
        for _ in 0..200 {
            if button.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for _ in 0..200 {
            let state = self
                .client
                .execute("return document.readyState;", Vec::new())
                .await;
            if matches!(state, Ok(Value::String(ref state)) if state == "complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css}: the next page did not load");
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{css}: {error}"))
    }

    pub(crate) async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    /// How many elements match `css`.
    pub(crate) async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|found| found.len())
            .unwrap_or(0)
    }

    pub(crate) async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// Runs axe-core on the page and fails on any serious or critical violation; then saves a
    /// screenshot as `target/ui-screenshots/<name>.png`.
    pub(crate) async fn check_page(&self, name: &str) {
        self.client
            .execute(&self.axe, Vec::new())
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document).then(result => done(result.violations\
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                   .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +\
                        v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', '))))\
                 .catch(error => done(['axe failed: ' + error]));",
                Vec::new(),
            )
            .await
            .expect("run axe-core");
        let violations: Vec<String> = match found {
            Value::Array(items) => items
                .into_iter()
                .map(|item| item.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => vec![format!("unexpected axe answer {other}")],
        };
        self.screenshot(name).await;
        assert!(
            violations.is_empty(),
            "{name}: axe-core found serious or critical violations:\n{}",
            violations.join("\n")
        );
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        write(&self.shots.join(format!("{name}.png")), &png);
    }

    pub(crate) async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}
