//! `bench_fleet seed`: an empty database filled with the catalog, the default rings and the fleet,
//! for `bench/declarations.sh`.

use super::*;

pub(super) async fn seed(options: &Options) -> anyhow::Result<()> {
    let url = options
        .database
        .as_deref()
        .with_context(|| "seed needs --database URL".to_owned())?;
    let now = ringmaster::clock::Clock::System.now();
    let store = Store::connect(url, &StoreOptions::default()).await?;
    if store.count_devices().await? != 0 {
        bail!("{url} already holds devices: seed wants an empty database");
    }
    let feeds = parsed_feeds(options.full_catalog, now)?;
    let mut log = std::io::stderr().lock();
    for (file, releases) in feeds.clone() {
        let import = store.import_releases(releases).await?;
        writeln!(
            log,
            "imported {}: {} added, {} updated",
            file.display(),
            import.added,
            import.updated
        )?;
    }
    let catalog = merged_catalog(feeds);
    let rings = store.ensure_default_rings(&default_rings(), now).await?;

    let devices = fleet(&catalog, options.devices)?;
    let started = Instant::now();
    let rows: Vec<DeviceDocument> = devices
        .iter()
        .map(|device| {
            Ok(DeviceDocument {
                id: DeviceId::parse(&device.id).map_err(anyhow::Error::msg)?,
                platform: device.facts.platform,
                os_version: device.facts.os_version.clone(),
                os_build: device.facts.os_build.clone(),
                model: device.facts.hardware.model.clone(),
                software_update_device_id: device.facts.hardware.software_update_device_id.clone(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    store.upsert_devices(&rows, now).await?;
    writeln!(
        log,
        "stored {} devices in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    )?;

    for (ring, stored) in rings.rings.iter().enumerate() {
        let members: Vec<String> = devices
            .iter()
            .filter(|device| device.ring == ring)
            .map(|device| device.id.clone())
            .collect();
        let name = format!("Bench ring {ring}");
        let group = match store.insert_device_group(&name, &members, now).await? {
            GroupWrite::Written(group) => group,
            other => bail!("device group {name:?} was not written: {other:?}"),
        };
        let targets = BindingTargets {
            devices: Vec::new(),
            device_groups: vec![group.id],
        };
        let subject = Subject::PolicyGroup(stored.group.id);
        if !matches!(
            store.set_bindings(subject, &targets).await?,
            BindingsWrite::Written(_)
        ) {
            bail!("binding {:?} to {name:?} was refused", stored.group.name);
        }
        writeln!(
            log,
            "device group {name:?} ({} devices) bound to ring {:?}",
            members.len(),
            stored.group.name
        )?;
    }

    if let Some(path) = &options.ids {
        let mut ids = String::with_capacity(devices.len() * 37);
        for device in &devices {
            ids.push_str(&device.id);
            ids.push('\n');
        }
        std::fs::write(path, ids).with_context(|| format!("writing {path:?}"))?;
    }
    let secret: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    store
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "bench", &secret, now,
        ))
        .await?;
    store.close().await;
    writeln!(std::io::stdout(), "{secret}")?;
    Ok(())
}
