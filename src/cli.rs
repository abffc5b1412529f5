//! The command line: `pustaka [serve] | migrate | reindex | healthcheck | seed-demo | create-user | reset-password | backup | restore | licenses | import | export`.

use std::{io::Read, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    app,
    config::Settings,
    domain::{Password, Username},
    store::Actor,
    telemetry,
};

/// Pustaka: library management for school and campus libraries.
///
/// Settings come from the environment; every one is listed below with its default.
#[derive(Debug, Parser)]
#[command(name = "pustaka", version, after_help = crate::config::settings_help())]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the page (the default). Runs migrations and creates the first admin.
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Rebuild the catalogue's search index from the books table (after loading books with SQL).
    Reindex,
    /// Exit 0 when this host's /readyz answers 200 (for container health checks; no curl needed).
    Healthcheck {
        /// Address to ask; defaults to PUSTAKA_LISTEN (0.0.0.0 is asked as 127.0.0.1).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Fill the catalogue with demo books, members, loans, a hold and a fine (only into an empty catalogue).
    SeedDemo,
    /// Create an account. The password is read from standard input (one line).
    CreateUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// The role's code: admin, librarian, desk_helper, cataloguer, reports_only, kiosk (the
        /// visitor log's entrance kiosk), member, or a role an admin made.
        #[arg(long, default_value = "librarian")]
        role: String,
        /// For a member account: the member's id.
        #[arg(long)]
        member_id: Option<i64>,
    },
    /// Set a new password for an account without its current one: the way back in for a locked-out
    /// admin (run where the server runs). The password is read from --password-file or else from
    /// standard input (one line). The account's sessions end and its failed logins are forgiven.
    ResetPassword {
        /// The account's login name, e.g. admin.
        username: String,
        /// A file holding the new password (its first line).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
        /// The database instead of PUSTAKA_DATABASE_URL's.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Write a backup of every table to a file (a Pustaka backup: gzip, restorable into SQLite or
    /// MariaDB; see docs/backup-format.md).
    Backup {
        /// The file to write (written beside it first, then renamed: never half a file).
        #[arg(long)]
        out: std::path::PathBuf,
        /// The database to read instead of PUSTAKA_DATABASE_URL's.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Replace every table with a backup's rows, in one transaction (the database is migrated
    /// first; the backup's schema version must then match). Shows what the file holds and asks to
    /// confirm unless --yes.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        /// Do not ask to confirm.
        #[arg(long)]
        yes: bool,
        /// The database to restore into instead of PUSTAKA_DATABASE_URL's (e.g. the compose
        /// stack's MariaDB when moving from a laptop's SQLite).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print Pustaka's licence and the notices of the third-party code in this program.
    Licenses,
    /// Bring books or members in from a spreadsheet (CSV or XLSX), or a whole SLiMS library. Exits
    /// 0 when every row was imported, 2 when some rows were not (each is listed with its reason),
    /// 1 on failure.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the catalogue (books), copies, members or loans as CSV or XLSX (both streamed: any
    /// size, up to Excel's 1,048,575 rows for XLSX) to standard output or a file. The books and copies files are what `import books` reads.
    Export {
        /// What to export.
        what: crate::export::Export,
        /// csv, xlsx, or for books marcxml or mrc (ISO 2709).
        #[arg(long, default_value = "csv")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

/// The export's file format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Xlsx,
    /// MARC 21 as MARCXML (books only, with their copies in 952).
    Marcxml,
    /// MARC 21 as ISO 2709 (books only).
    Mrc,
}

/// Writes an export, a page at a time for CSV.
async fn export(
    store: &crate::store::Store,
    what: crate::export::Export,
    format: ExportFormat,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use crate::export::Pages;
    use std::io::Write;
    let mut out: Box<dyn Write> = match &output {
        Some(f) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(f).with_context(|| format!("cannot write {}", f.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        ExportFormat::Csv => {
            use crate::http::table::CsvStream;
            out.write_all(&CsvStream::header(what.columns()))?;
            let mut pages = Pages::new(store, what);
            while let Some(rows) = pages.next().await? {
                out.write_all(&CsvStream::rows(&rows))?;
            }
        }
        ExportFormat::Marcxml | ExportFormat::Mrc => {
            anyhow::ensure!(what == crate::export::Export::Books, "MARC exports the books (with their copies)");
            let xml = matches!(format, ExportFormat::Marcxml);
            if xml {
                out.write_all(crate::marc::XML_HEAD.as_bytes())?;
            }
            let mut pages = Pages::new(store, crate::export::Marc);
            while let Some(records) = pages.next().await? {
                for r in &records {
                    if xml {
                        out.write_all(r.to_xml().as_bytes())?;
                    } else {
                        out.write_all(&r.to_iso2709())?;
                    }
                }
            }
            if xml {
                out.write_all(crate::marc::XML_TAIL.as_bytes())?;
            }
        }
        ExportFormat::Xlsx => {
            let max = crate::export::XLSX_MAX_ROWS;
            let n = what.count(store).await?;
            anyhow::ensure!(n <= max, "{n} rows are more than an XLSX sheet holds ({max}); use --format csv");
            // Streamed a page at a time, like CSV (crate::xlsx).
            let mut sheet = crate::xlsx::SheetWriter::new(&mut out, what.columns())?;
            let mut pages = Pages::new(store, what);
            while let Some(rows) = pages.next().await? {
                for row in &rows {
                    sheet.row(row)?;
                }
            }
            sheet.finish()?;
        }
    }
    out.flush()?;
    Ok(())
}

// ---- import (issue #13) ----

/// What to import.
#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Books and copies: columns judul/title, pengarang/author (several separated by `;`), isbn,
    /// penerbit/publisher, tahun/year, nomor panggil/call number, barcode/eksemplar (one row per
    /// copy or several barcodes separated by `;`) or jumlah/copies, lokasi/location, and more.
    Books {
        /// A CSV (`,` `;` or tab separated; UTF-8 or Windows-1252) or XLSX file with a header row.
        file: std::path::PathBuf,
        /// The columns as you choose them (as the page's mapping step does): a JSON file of the
        /// sheet's header → a field (`title`, `authors`, ... as `POST /import/books/columns` lists
        /// them) or null to leave it out. Headers it does not name are matched by their names.
        #[arg(long, value_name = "FILE")]
        columns: Option<std::path::PathBuf>,
        #[command(flatten)]
        output: ImportOutput,
    },
    /// Members: nama/name, nomor anggota/card number, kategori/category, email, telepon/phone,
    /// berlaku hingga/expires. A number that is a Pustaka card number stays the card; any other
    /// is kept as the member's source id and a new card is issued (the report lists them).
    Members {
        /// A CSV or XLSX file with a header row.
        file: std::path::PathBuf,
        /// Map a category as the sheet writes it to one of Pustaka's, e.g. `--category Dosen=staff`
        /// (repeatable). Without one, a sheet's category must match a category's code or name.
        #[arg(long = "category", value_name = "OLD=CODE")]
        categories: Vec<String>,
        /// The category of rows that name none.
        #[arg(long, value_name = "CODE")]
        default_category: Option<String>,
        /// The columns as you choose them (as the page's mapping step does): a JSON file of the
        /// sheet's header → a field (`name`, `nis`, `grade`, ... as `POST /import/members/columns` lists
        /// them) or null to leave it out. Headers it does not name are matched by their names.
        #[arg(long, value_name = "FILE")]
        columns: Option<std::path::PathBuf>,
        #[command(flatten)]
        output: ImportOutput,
    },
    /// Books and copies from a MARC 21 file, ISO 2709 (`.mrc`) or MARCXML: 245 title, 100/700
    /// authors, 020 ISBN, 260 publisher and year, 082, 090, 650, 500 and more; copies from 952 $p
    /// (barcode), $c (location), $g (price), as Koha writes them.
    Marc {
        /// An ISO 2709 or MARCXML file.
        file: std::path::PathBuf,
        #[command(flatten)]
        output: ImportOutput,
    },
    /// A SLiMS 9 (Bulian) library, read from its database: records (biblio), items, members,
    /// loans (open, and the returned ones of its history) and unpaid fines. SLiMS is only read. Members keep their SLiMS member id as
    /// their source id (`slims:ID`); it is their card number when it is a valid Pustaka card
    /// number, otherwise they get a new card (the report lists them). Run it again after an
    /// interruption or a new mapping: what is already there is left as it is.
    Slims {
        /// The SLiMS database, `mysql://USER:PASS@HOST:PORT/DB`.
        #[arg(long, value_name = "URL")]
        from: String,
        /// A file mapping SLiMS member types to Pustaka categories, one `SLiMS type = code` per
        /// line (`* = code` for the types not named). Without one, a type must match a
        /// category's code or name (e.g. `Siswa` is `student`); the dry run shows the mapping.
        #[arg(long, value_name = "FILE")]
        category_map: Option<std::path::PathBuf>,
        #[command(flatten)]
        output: ImportOutput,
    },
}

#[derive(Debug, clap::Args)]
struct ImportOutput {
    /// Read and check everything, show what would be stored, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// The language of the report and of the reasons rows were not imported: id (Bahasa
    /// Indonesia) or en.
    #[arg(long, default_value = "id", value_parser = ["id", "en"])]
    lang: String,
}

/// An import's progress on standard error: a bar when it is a terminal, otherwise (a log, a
/// pipe) a line every [`Progress::LINE_EVERY`] batches and at the end of each stage.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    tty: bool,
    stage: String,
    batches: usize,
}

impl Progress {
    const LINE_EVERY: usize = 25;

    fn new() -> Self {
        use std::io::IsTerminal;
        Self { bar: None, tty: std::io::stderr().is_terminal(), stage: String::new(), batches: 0 }
    }

    /// Called after each batch of a stage (`books`, `members`, …) with the records done.
    fn update(&mut self, stage: &str, done: usize, total: usize) {
        if stage != self.stage {
            if let Some(bar) = self.bar.take() {
                bar.finish();
            }
            self.stage = stage.to_owned();
            self.batches = 0;
            if self.tty {
                let style = indicatif::ProgressStyle::with_template(
                    "{prefix:>8} [{bar:40}] {human_pos}/{human_len} ({percent}%), {eta} left",
                )
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
                let bar = indicatif::ProgressBar::new(total as u64).with_style(style).with_prefix(stage.to_owned());
                self.bar = Some(bar);
            }
        }
        self.batches += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                if done >= total {
                    bar.finish();
                }
            }
            None if self.batches % Self::LINE_EVERY == 0 || done >= total => {
                let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
                eprintln!("importing {stage}: {done}/{total} ({percent}%)");
            }
            None => {}
        }
    }
}

/// A spreadsheet read, with its columns as the `--columns` file (if any) says.
fn sheet_with(
    bytes: &[u8],
    kind: &crate::import::columns::Kind,
    columns: Option<&std::path::Path>,
) -> anyhow::Result<crate::sheet::Sheet> {
    let crate::import::Input::Sheet(sheet) = crate::import::Input::read(bytes, false)? else {
        unreachable!("a spreadsheet is read as a sheet")
    };
    let Some(path) = columns else { return Ok(sheet) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let map = crate::import::columns::ColumnMap::parse(&text, kind)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(crate::import::columns::remap(sheet, kind, &map))
}

/// Runs an import command; the exit code says whether every row made it.
async fn import(store: &crate::store::Store, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let actor = Actor::system();
    let mut bar = Progress::new();
    let read = |f: &std::path::Path| std::fs::read(f).with_context(|| format!("cannot read {}", f.display()));
    let (report, output) = match command {
        ImportCommand::Books { file, columns, output } => {
            let sheet = sheet_with(&read(&file)?, &crate::import::columns::BOOKS, columns.as_deref())?;
            let progress = |done, total| bar.update("books", done, total);
            (crate::import::books_of(store, &actor, sheet, output.dry_run, None, usize::MAX, progress).await?, output)
        }
        ImportCommand::Members { file, categories, default_category, columns, output } => {
            let options = crate::import::MemberOptions {
                categories: crate::import::category_map(&categories).map_err(|e| anyhow::anyhow!("--category: {e}"))?,
                default_category,
            };
            let sheet = sheet_with(&read(&file)?, &crate::import::columns::MEMBERS, columns.as_deref())?;
            let progress = |done, total| bar.update("members", done, total);
            let report =
                crate::import::members_of(store, &actor, sheet, &options, output.dry_run, usize::MAX, progress).await?;
            (report, output)
        }
        ImportCommand::Marc { file, output } => {
            let progress = |done, total| bar.update("books", done, total);
            (crate::import::marc(store, &actor, &read(&file)?, output.dry_run, progress).await?, output)
        }
        ImportCommand::Slims { from, category_map, output } => {
            let (categories, default_category) = match category_map {
                Some(f) => {
                    let text = String::from_utf8(read(&f)?).context("the mapping file is not UTF-8 text")?;
                    crate::import::slims::read_category_map(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
                }
                None => Default::default(),
            };
            let options = crate::import::slims::SlimsOptions { from, categories, default_category };
            let staged = |stage: &str, done: usize, total: usize| bar.update(stage, done, total);
            (crate::import::slims::import(store, &actor, &options, output.dry_run, staged).await?, output)
        }
    };
    let lang = crate::domain::notices::Language::parse(&output.lang).map_err(|e| anyhow::anyhow!(e.message))?;
    let report = crate::import::words::localise(report, lang);
    if output.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text(lang));
    }
    Ok(if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

impl Cli {
    /// Runs the command; errors are printed with their causes.
    pub fn run(self) -> ExitCode {
        if matches!(self.command, Some(Command::Licenses)) {
            // No settings, no runtime; a closed pipe (`| head`) is not an error.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), crate::http::LICENSES.as_bytes());
            return ExitCode::SUCCESS;
        }
        let settings = Settings::from_env();
        // One malloc arena on MariaDB only (see `malloc::limit_arenas`).
        if matches!(&settings, Ok(s) if s.database.backend == crate::config::Backend::MariaDb) {
            crate::malloc::limit_arenas();
        }
        let runtime = match tokio::runtime::Runtime::new() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("pustaka: cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        match runtime.block_on(self.dispatch(settings)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("pustaka: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    async fn dispatch(self, settings: anyhow::Result<Settings>) -> anyhow::Result<ExitCode> {
        let mut settings = settings?;
        if let Some(
            Command::Backup { database_url: Some(url), .. }
            | Command::Restore { database_url: Some(url), .. }
            | Command::ResetPassword { database_url: Some(url), .. },
        ) = &self.command
        {
            settings.database = crate::store::settings::DatabaseSettings::from_url(url, None)?;
        }
        if !matches!(self.command, Some(Command::Healthcheck { .. })) {
            telemetry::init(settings.log_format);
        }
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", settings.listen))?;
                let app = app::build(&settings).await?;
                // Metrics on a port of their own (the internal network's), never on the API's.
                let metrics = match settings.metrics_listen {
                    None => None,
                    Some(addr) => {
                        let l = tokio::net::TcpListener::bind(addr)
                            .await
                            .with_context(|| format!("cannot listen on {addr} (PUSTAKA_METRICS_LISTEN)"))?;
                        tracing::info!(listen = %l.local_addr()?, "metrics are served at /metrics");
                        Some(tokio::spawn(crate::metrics::serve(l, app.metrics.clone())))
                    }
                };
                tracing::info!(
                    listen = %listener.local_addr()?,
                    database = ?settings.database.backend,
                    instance = %settings.instance,
                    "Pustaka is serving; open http://{}/",
                    listener.local_addr()?
                );
                let served = app::serve(listener, app, app::shutdown_signal()).await;
                if let Some(task) = metrics {
                    task.abort();
                }
                served?;
            }
            Command::Migrate => {
                app::connect(&settings).await?;
                tracing::info!("migrations are up to date");
            }
            Command::Reindex => {
                let store = app::connect(&settings).await?;
                let books = store.reindex().await?;
                tracing::info!(books, "search index rebuilt");
            }
            Command::Healthcheck { addr } => return Ok(healthcheck(addr, &settings).await),
            Command::SeedDemo => {
                let store = app::connect(&settings).await?;
                let login = crate::demo::seed(&store).await?;
                println!("Demo library ready. Staff log in as admin; a member can log in as:");
                println!("  username: {}", login.username);
                if login.generated {
                    println!(
                        "  password: {} (generated; set PUSTAKA_DEMO_MEMBER_PASSWORD to choose it)",
                        login.password
                    );
                } else {
                    println!("  password: the one in PUSTAKA_DEMO_MEMBER_PASSWORD");
                }
            }
            Command::Licenses => unreachable!("answered before the runtime starts"),
            Command::Import(command) => {
                let store = app::connect(&settings).await?;
                return import(&store, command).await;
            }
            Command::Export { what, format, output } => {
                let store = app::connect(&settings).await?;
                export(&store, what, format, output).await?;
            }
            Command::Backup { out, .. } => {
                let store = app::connect(&settings).await?;
                backup(&store, &out).await?;
            }
            Command::Restore { file, yes, .. } => {
                let store = app::connect(&settings).await?;
                return restore(&store, &file, yes).await;
            }
            Command::ResetPassword { username, password_file, .. } => {
                let store = app::connect(&settings).await?;
                let mut text = String::new();
                match &password_file {
                    Some(f) => {
                        text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
                    }
                    None => {
                        std::io::stdin()
                            .read_to_string(&mut text)
                            .context("reading the password from standard input")?;
                    }
                }
                let line = text.lines().next().unwrap_or("");
                let password = Password::parse(line).map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
                let user = store
                    .user_by_username(&username)
                    .await?
                    .with_context(|| format!("no account is named {username:?}"))?;
                store.set_password(&Actor::system(), user.id, &password).await?;
                println!("new password set for {} ({}); its sessions ended", user.username, user.role);
            }
            Command::CreateUser { username, role, member_id } => {
                let store = app::connect(&settings).await?;
                let username = Username::parse(&username).map_err(|e| anyhow::anyhow!("--username: {}", e.message))?;
                let mut line = String::new();
                std::io::stdin().read_to_string(&mut line).context("reading the password from standard input")?;
                let password = Password::parse(line.trim_end_matches(['\n', '\r']))
                    .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
                let user = store.create_user(&Actor::system(), &username, &password, &role, member_id).await?;
                println!("created {} ({})", user.username, user.role);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `pustaka backup --out FILE`.
async fn backup(store: &crate::store::Store, out: &std::path::Path) -> anyhow::Result<()> {
    let contents = crate::backup::write_file(store, out).await?;
    let rows: u64 = contents.tables.iter().map(|t| t.rows).sum();
    println!(
        "wrote {} ({} tables, {rows} rows, schema {})",
        out.display(),
        contents.tables.len(),
        contents.schema_version
    );
    Ok(())
}

/// `pustaka restore FILE [--yes]`: checks the whole file, shows what it holds, asks, restores.
async fn restore(store: &crate::store::Store, file: &std::path::Path, yes: bool) -> anyhow::Result<ExitCode> {
    use crate::backup::{Budgets, GzipSource};
    let open = || -> anyhow::Result<GzipSource<std::fs::File>> {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        Ok(GzipSource::new(f, Budgets::default()))
    };
    let contents =
        crate::store::Store::check_backup(&mut open()?).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!(
        "{}: a Pustaka backup of {} rows, written {} from {}, schema {}:",
        file.display(),
        contents.tables.iter().map(|t| t.rows).sum::<u64>(),
        contents.created_at,
        contents.backend,
        contents.schema_version
    );
    for t in contents.tables.iter().filter(|t| t.rows > 0) {
        println!("  {:<22} {:>9} rows", t.name, t.rows);
    }
    if !yes {
        eprint!("Replace EVERY record of this database with the backup's? Type yes: ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).context("reading the answer")?;
        if answer.trim() != "yes" {
            eprintln!("nothing restored");
            return Ok(ExitCode::from(1));
        }
    }
    store.restore_backup(&mut open()?).await.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    println!("restored; every account logs in again");
    Ok(ExitCode::SUCCESS)
}

/// GET /readyz over a plain TCP connection; 0 on 200.
async fn healthcheck(addr: Option<String>, settings: &Settings) -> ExitCode {
    let addr = addr.unwrap_or_else(|| {
        let mut a = settings.listen;
        if a.ip().is_unspecified() {
            a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        a.to_string()
    });
    let ask = async {
        let mut s = tokio::net::TcpStream::connect(&addr).await?;
        s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    match tokio::time::timeout(Duration::from_secs(3), ask).await {
        Ok(Ok(buf)) if buf.starts_with(b"HTTP/1.1 200") => ExitCode::SUCCESS,
        Ok(Ok(buf)) => {
            eprintln!("not ready: {}", String::from_utf8_lossy(buf.split(|b| *b == b'\r').next().unwrap_or_default()));
            ExitCode::FAILURE
        }
        Ok(Err(e)) => {
            eprintln!("not ready: {addr}: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("not ready: {addr} did not answer within 3 s");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_setting_with_its_default() {
        let help = super::Cli::command().render_help().to_string();
        for s in crate::config::env_settings() {
            assert!(help.contains(s.name), "--help does not list {}:\n{help}", s.name);
            assert!(help.contains(&s.default), "--help does not give the default of {}:\n{help}", s.name);
        }
    }
}
