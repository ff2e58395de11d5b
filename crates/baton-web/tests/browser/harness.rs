//! Starts chromedriver and a server per journey, hands the journey a page
//! to drive, and keeps a screenshot of the page a journey failed on.

use baton_core::domain::Role;
use baton_db::Db;
use baton_db::testing::TestDb;
use baton_db::users::NewUser;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a journey returns: browser errors travel with `?`, assertions panic.
pub type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The password of every person a journey adds.
pub const PASSWORD: &str = "a long password";

/// How long chromedriver or a page may take, on a busy two-core machine.
const PATIENCE: Duration = Duration::from_secs(30);

fn program(variable: &str, debian_path: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| debian_path.to_string())
}

/// A chromedriver process on a free loopback port, stopped when dropped
/// with the folder its Chromium keeps its profile and sockets in, which
/// Chromium leaves behind in the system's temporary folder otherwise.
struct Chromedriver {
    process: Child,
    url: String,
    files: PathBuf,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        let path = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let files =
            std::env::temp_dir().join(format!("baton-browser-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&files).expect("a folder for the browser's files");
        let process = Command::new(&path)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &files)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start chromedriver at {path}: {e}. The browser tests need Debian's \
                     `chromium` and `chromium-driver` packages: run scripts/chromium.sh \
                     (or set CHROMEDRIVER and CHROMIUM)"
                )
            });
        let driver = Chromedriver {
            process,
            url: format!("http://127.0.0.1:{port}"),
            files,
        };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver at {path} did not listen on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    async fn browser(&self) -> Client {
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let options = serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900"],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium at {chromium}: {e}"))
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.files);
    }
}

/// Where failed journeys leave their screenshots: `browser-screenshots`
/// in Cargo's target folder.
fn screenshot_path(name: &str) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let folder = target
        .parent()
        .map_or_else(|| target.clone(), |p| p.to_path_buf())
        .join("browser-screenshots");
    folder.join(format!("{name}-{}.png", TestDb::backend_name()))
}

async fn save_screenshot(browser: &Client, name: &str) -> String {
    let path = screenshot_path(name);
    let saved = async {
        let png = browser.screenshot().await?;
        std::fs::create_dir_all(path.parent().expect("a folder"))?;
        std::fs::write(&path, png)?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match saved.await {
        Ok(()) => format!("screenshot: {}", path.display()),
        Err(e) => format!("no screenshot: {e}"),
    }
}

/// Runs a journey named `name` against a fresh server and browser. When it
/// fails, the screenshot is saved before the test fails with the reason.
pub async fn journey<F, Fut>(name: &str, steps: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let test_db = TestDb::new().await.expect("a test database");
    let (base, stop) = crate::server::start_server(test_db.db.clone(), |_| {}).await;
    let driver = Chromedriver::start().await;
    let browser = driver.browser().await;
    let page = Page {
        browser: browser.clone(),
        base,
        db: test_db.db.clone(),
    };
    // A task of its own, so an assertion's panic comes back here as an
    // error while the browser is still open for the screenshot.
    let failure = match tokio::spawn(steps(page)).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(join) => Some(match join.try_into_panic() {
            Ok(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the journey panicked".into()),
            Err(e) => e.to_string(),
        }),
    };
    let screenshot = match &failure {
        Some(_) => save_screenshot(&browser, name).await,
        None => String::new(),
    };
    let _ = browser.close().await;
    drop(driver);
    let _ = stop.send(());
    if let Some(reason) = failure {
        panic!(
            "{name} failed on {}: {reason}\n{screenshot}",
            TestDb::backend_name()
        );
    }
}

/// The browser on one Baton server, with the steps people take.
pub struct Page {
    pub browser: Client,
    pub base: String,
    pub db: Db,
}

impl Page {
    /// Adds a person who signs in with [`PASSWORD`].
    pub async fn add_person(&self, email: &str, name: &str, role: Role) -> i64 {
        self.db
            .create_user(NewUser {
                email,
                name,
                role,
                password: Some(PASSWORD),
            })
            .await
            .expect("a new person")
            .id
    }

    /// Makes a person a member of the queue `slug`.
    pub async fn join(&self, slug: &str, person: i64) -> Outcome {
        let queue = self.db.queue(slug).await?;
        self.db.add_queue_member(None, queue.id, person).await?;
        Ok(())
    }

    pub async fn open(&self, path: &str) -> Outcome {
        Ok(self.browser.goto(&format!("{}{path}", self.base)).await?)
    }

    /// Opens `path` again until it shows `text`: inquiries are processed
    /// in the background after the visitor is thanked.
    pub async fn open_until(&self, path: &str, text: &str) -> Outcome {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            self.open(path).await?;
            if self.text().await?.contains(text) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("{path} never showed {text:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Types into the field with `id`, replacing what it held.
    pub async fn fill(&self, id: &str, value: &str) -> Outcome {
        let field = self.browser.find(Locator::Id(id)).await?;
        field.clear().await?;
        Ok(field.send_keys(value).await?)
    }

    /// Chooses the option that reads `label` in the choice with `id`.
    pub async fn choose(&self, id: &str, label: &str) -> Outcome {
        let choice = self.browser.find(Locator::Id(id)).await?;
        Ok(choice.select_by_label(label).await?)
    }

    /// Clicks the button that reads `text`; with `within`, the one in the
    /// table row or form that mentions it.
    pub async fn press(&self, text: &str, within: Option<&str>) -> Outcome {
        let scope = match within {
            Some(mention) => format!("//*[self::tr or self::form][contains(., '{mention}')]"),
            None => String::new(),
        };
        let xpath = format!("{scope}//button[normalize-space() = '{text}']");
        let button = self.browser.find(Locator::XPath(&xpath)).await?;
        self.navigate_by(button).await
    }

    /// Follows the link that reads `text`.
    pub async fn follow(&self, text: &str) -> Outcome {
        let link = self.browser.find(Locator::LinkText(text)).await?;
        self.navigate_by(link).await
    }

    /// Clicks something that leads to another page, and waits until that
    /// page has loaded, so the next step never reads the old one.
    async fn navigate_by(&self, target: Element) -> Outcome {
        // The old document is marked: only a new one lacks the mark.
        self.browser
            .execute("document.documentElement.dataset.left = 'yes'", vec![])
            .await?;
        target.click().await?;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let arrived = self
                .browser
                .execute(
                    "return document.readyState === 'complete' \
                     && !document.documentElement.dataset.left",
                    vec![],
                )
                .await;
            // Errors come while the browser swaps documents: ask again.
            if matches!(arrived, Ok(serde_json::Value::Bool(true))) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err("the click did not lead to another page".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the page whose main heading reads `heading`.
    pub async fn expect_heading(
        &self,
        heading: &str,
    ) -> Result<Element, fantoccini::error::CmdError> {
        let xpath = format!("//h1[normalize-space() = '{heading}']");
        self.browser
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
    }

    /// The text people see on the page.
    pub async fn text(&self) -> Result<String, fantoccini::error::CmdError> {
        self.browser.find(Locator::Css("body")).await?.text().await
    }

    /// The main navigation's links.
    pub async fn navigation(&self) -> Result<Vec<String>, fantoccini::error::CmdError> {
        let mut links = Vec::new();
        for link in self.browser.find_all(Locator::Css("nav a")).await? {
            links.push(link.text().await?);
        }
        Ok(links)
    }

    /// Signs in through the sign-in page and waits for My work.
    pub async fn sign_in(&self, email: &str) -> Outcome {
        self.open("/sign-in").await?;
        self.fill("email", email).await?;
        self.fill("password", PASSWORD).await?;
        self.press("Sign in", None).await?;
        self.expect_heading("My work").await?;
        Ok(())
    }

    pub async fn sign_out(&self) -> Outcome {
        self.press("Sign out", None).await?;
        self.expect_heading("Sign in").await?;
        Ok(())
    }
}
