//! The pages at a small laptop's width.

use super::*;

/// At 1024 px wide (a small laptop) the onboarding pipeline and a live plan's table fit
/// without an inner horizontal scroll, and every navigation link is on screen.
#[tokio::test]
async fn at_1024_px_the_onboarding_tables_and_the_navigation_fit() {
    let _one = ONE_BROWSER.lock().await;
    let Some(driver) = start_browser().await else {
        return;
    };
    let s = spawn_demo().await;
    let c = &driver.client;
    c.set_window_size(1024, 900).await.unwrap();
    sign_in(c, &s, "pharmacy@lakeshore.example").await;
    let plan = format!(
        "/partnerships/{}/plan?program={}",
        helixa_lakeshore(&s.app).await,
        vantacel(&s.app).await
    );
    for (path, shot) in [
        ("/onboarding", "onboarding-1024"),
        (plan.as_str(), "live-plan-1024"),
    ] {
        c.goto(&s.url(path)).await.unwrap();
        // The page's own width: what the window shows without the scrollbar.
        let fits = c
            .execute(
                "const w = document.documentElement.clientWidth;
                 const tables = [...document.querySelectorAll('.table-scroll')]
                   .filter(t => t.querySelector('table.pipeline, table.live-plan'));
                 const links = [...document.querySelectorAll('nav.sidebar a, #sign-out')];
                 return {
                   tables: tables.length,
                   scrolling: tables.filter(t => t.scrollWidth > t.clientWidth + 1).length,
                   page_wider: document.documentElement.scrollWidth > w + 1,
                   links: links.length,
                   off_screen: links.filter(a => { const r = a.getBoundingClientRect();
                     return r.width === 0 || r.left < 0 || r.right > w; }).length,
                 };",
                vec![],
            )
            .await
            .unwrap();
        std::fs::write(
            screenshot_dir().join(format!("{shot}.png")),
            c.screenshot().await.unwrap(),
        )
        .unwrap();
        assert!(fits["tables"].as_u64().unwrap() > 0, "{path}: {fits}");
        assert_eq!(
            fits["scrolling"], 0,
            "{path}: a table scrolls sideways: {fits}"
        );
        assert_eq!(fits["page_wider"], false, "{path}: {fits}");
        assert!(fits["links"].as_u64().unwrap() >= 8, "{path}: {fits}");
        assert_eq!(fits["off_screen"], 0, "{path}: {fits}");
    }
    s.shutdown().await;
}
