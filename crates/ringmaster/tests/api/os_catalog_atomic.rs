//! A feed import is one transaction, releases and hardware facts together: when writing the
//! hardware facts fails for real (a trigger refuses the row, as a broken database would), the
//! import answers 500 and the catalog, the hardware facts and the OS-update revision are as they
//! were; once the database accepts the rows again, the same feed imports.

use reqwest::StatusCode;

use crate::os_catalog::{catalog, import};
use crate::support::{TestBackend, fixture, spawn_app};

const REFUSE_SQLITE: &str = "CREATE TRIGGER refuse_models BEFORE INSERT ON hardware_models \
     BEGIN SELECT RAISE(ABORT, 'hardware facts refused'); END;";
const REFUSE_POSTGRES: &str = "CREATE FUNCTION refuse_models() RETURNS trigger AS $$ \
     BEGIN RAISE EXCEPTION 'hardware facts refused'; END $$ LANGUAGE plpgsql; \
     CREATE TRIGGER refuse_models BEFORE INSERT ON hardware_models \
     FOR EACH ROW EXECUTE FUNCTION refuse_models();";
const ACCEPT: &str = "DROP TRIGGER refuse_models";
const ACCEPT_POSTGRES: &str = "DROP TRIGGER refuse_models ON hardware_models";

const REVISION: &str = "SELECT revision FROM os_update_counter WHERE id = 1";
const MODELS: &str = "SELECT COUNT(*) FROM hardware_models";

on_each_backend!(an_import_whose_hardware_half_fails_leaves_the_catalog_as_it_was);
async fn an_import_whose_hardware_half_fails_leaves_the_catalog_as_it_was(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let first = import(&app, fixture("catalog/macos-26-autumn-2025.json")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let before = catalog(&app, "macOS").await;
    let revision = app.database.scalar(REVISION).await;
    assert_eq!(app.database.scalar(MODELS).await, 0);

    let refuse = match backend {
        TestBackend::Sqlite => REFUSE_SQLITE,
        TestBackend::Postgres => REFUSE_POSTGRES,
    };
    app.database.execute(refuse).await;
    let failed = import(&app, fixture("feeds/sofa-v2-macos.json")).await;
    assert_eq!(
        failed.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "{backend:?}"
    );
    assert_eq!(
        catalog(&app, "macOS").await,
        before,
        "{backend:?}: releases"
    );
    assert_eq!(app.database.scalar(MODELS).await, 0, "{backend:?}");
    assert_eq!(
        app.database.scalar(REVISION).await,
        revision,
        "{backend:?}: no revision for a failed import"
    );

    let accept = match backend {
        TestBackend::Sqlite => ACCEPT,
        TestBackend::Postgres => ACCEPT_POSTGRES,
    };
    app.database.execute(accept).await;
    let again = import(&app, fixture("feeds/sofa-v2-macos.json")).await;
    assert_eq!(again.status(), StatusCode::OK, "{backend:?}");
    assert_ne!(catalog(&app, "macOS").await, before, "{backend:?}");
    assert!(app.database.scalar(MODELS).await > 0, "{backend:?}");
}
