//! Every command's `--help`, run as the real binary: each names its flags.

use crate::cli::ringmaster;

#[tokio::test]
async fn help_on_every_command_mentions_its_flags() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "serve",
                "token",
                "title",
                "--log",
                "--log-format",
                "--version",
            ],
        ),
        (
            &["serve"],
            &[
                "--listen",
                "--database",
                "--max-body-bytes",
                "--max-restore-bytes",
                "--cache-refresh-ms",
                "RINGMASTER_LISTEN",
                "RINGMASTER_DATABASE_URL",
                "RINGMASTER_MAX_BODY_BYTES",
                "RINGMASTER_MAX_RESTORE_BYTES",
                "RINGMASTER_CACHE_REFRESH_MS",
                "--public-url",
                "RINGMASTER_PUBLIC_URL",
                "RINGMASTER_LOG",
                "--ddm-open",
                "--tls-cert",
                "--tls-key",
                "--tls-reload-secs",
                "--plain-listen",
                "--trusted-proxy",
                "RINGMASTER_TRUSTED_PROXY",
                "--auth-failure-limit",
                "--admin-rate-limit",
                "--feed-auth",
            ],
        ),
        (&["token"], &["create", "list", "revoke"]),
        (
            &["token", "create"],
            &[
                "--name",
                "--role",
                "readOnly",
                "--expires-in",
                "--titles",
                "--database",
                "RINGMASTER_DATABASE_URL",
            ],
        ),
        (&["token", "list"], &["--database"]),
        (&["token", "revoke"], &["--name", "--database"]),
        (&["webhook"], &["list", "add", "delete"]),
        (
            &["webhook", "add"],
            &[
                "--url",
                "--disabled",
                "--no-verify-ssl",
                "--send-definition",
                "--database",
            ],
        ),
        (&["title"], &["lint", "import", "export"]),
        (&["title", "lint"], &["FILES"]),
        (&["title", "import"], &["PATH", "--replace", "--database"]),
        (&["title", "export"], &["--out", "--database"]),
    ];
    for (command, flags) in cases {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let run = ringmaster(&args).await;
        assert_eq!(run.code, 0, "ringmaster {args:?}: {run:?}");
        for flag in *flags {
            assert!(
                run.stdout.contains(flag),
                "`ringmaster {}` mentions {flag}:\n{}",
                args.join(" "),
                run.stdout
            );
        }
    }
    let version = ringmaster(&["--version"]).await;
    assert_eq!(version.code, 0, "{version:?}");
    assert!(version.stdout.starts_with("ringmaster "), "{version:?}");

    let usage = ringmaster(&["title", "lint"]).await;
    assert_eq!(
        usage.code, 2,
        "a usage error exits 2, as clap does: {usage:?}"
    );
}
