package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.proto.pprof.Profile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in headless Chromium against a real Kiln process fed through {@code /ingest}: what
 * the flame graph draws, tooltips, zoom, search, table, sandwich, diff colours, the URL as the
 * whole state, exports, and how a 50k-node flame graph responds. Screenshots of every view go to
 * {@code target/screenshots/}. Skipped, with the reason, when Chromium or chromedriver is missing.
 */
class WebUiBrowserIT {
    static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final long NANOS_PER_SAMPLE = 10_000_000L; // /ingest's default sampleRate=100
    static final long NOW_S = System.currentTimeMillis() / 1000;
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A shop service: 900 samples; HashMap.get is called from two places. */
    static final List<String> SHOP = List.of(
            "java.lang.Thread.run;com.acme.shop.Server.handle;com.acme.shop.Cart.total;java.util.HashMap.get 300",
            "java.lang.Thread.run;com.acme.shop.Server.handle;com.acme.shop.Cart.total 200",
            "java.lang.Thread.run;com.acme.shop.Server.handle;com.acme.db.Pool.query;java.net.SocketInputStream.read 250",
            "java.lang.Thread.run;com.acme.shop.Server.handle;com.acme.shop.Json.write;java.util.HashMap.get 50",
            "java.lang.Thread.run;com.acme.shop.Idle.park 100");
    static final String[] CART = {"java.lang.Thread.run", "com.acme.shop.Server.handle", "com.acme.shop.Cart.total"};
    static final String[] SERVER = {"java.lang.Thread.run", "com.acme.shop.Server.handle"};
    static final String[] THREAD = {"java.lang.Thread.run"};
    static final String MARKUP = "<img src=x onerror=window.injected=1>";

    static Path dataDir;
    static Kiln kiln;
    static String base;
    static ChromeDriver driver;
    /** Why the tests cannot run here, or null. Checked per test so every skipped test reports it. */
    static String skipReason;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = onPath("chromium", "chromium-browser", "google-chrome");
        Path chromedriver = onPath("chromedriver");
        if (chromium == null || chromedriver == null) {
            skipReason = "web UI browser tests skipped: chromium and chromedriver are not on the PATH (Debian: apt-get install chromium chromium-driver)";
            return;
        }
        dataDir = Files.createTempDirectory("kiln-ui-it");
        // the 50k-node profile is one large upload
        KilnTestClient client = KilnTestClient.start(dataDir, "-limits.ingestion-rate-mb=1000", "-limits.ingestion-burst-size-mb=1000",
                "-limits.max-profile-stacktrace-samples=0", "-limits.max-profile-size-bytes=67108864");
        kiln = client.kiln;
        base = client.base;

        ingest("shop.cpu{env=prod}", NOW_S - 300, SHOP);
        ingest("checkout.cpu", NOW_S - 3000, List.of("app.Main.run;app.Work.compute;app.Hash.sum 300",
                "app.Main.run;app.Work.compute 200", "app.Main.run;app.Idle.sleep 100"));
        ingest("checkout.cpu", NOW_S - 600, List.of("app.Main.run;app.Work.compute;app.Hash.sum 100",
                "app.Main.run;app.Work.compute 200", "app.Main.run;app.Idle.sleep 300", "app.Main.run;app.Cache.load 60"));
        ingest("big.cpu", NOW_S - 120, bigProfile());
        ingest("markup.cpu{team=<b>ops</b>}", NOW_S - 200, List.of("main;" + MARKUP + " 10"));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--force-device-scale-factor=1", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions");
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build(), options);
        Files.createDirectories(SCREENSHOTS);
    }

    @BeforeEach
    void browserAvailable() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (kiln != null) {
            kiln.close();
        }
    }

    /** 10 × 10 × 10 × 50 distinct stacks: 51,101 nodes with the root. */
    static List<String> bigProfile() {
        Random random = new Random(1);
        List<String> lines = new ArrayList<>();
        for (int a = 0; a < 10; a++) {
            for (int b = 0; b < 10; b++) {
                for (int c = 0; c < 10; c++) {
                    for (int d = 0; d < 50; d++) {
                        lines.add("org.big" + a + ".Service" + b + ".call;org.big" + a + ".Worker" + c + ".step;org.big" + a + ".lib" + c
                                + ".Leaf" + d + ".run " + (1 + random.nextInt(100)));
                    }
                }
            }
        }
        return lines;
    }

    static Path onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    static void ingest(String name, long atSeconds, List<String> folded) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ingest?name=" + enc(name) + "&from=" + atSeconds
                + "&until=" + (atSeconds + 10))).POST(HttpRequest.BodyPublishers.ofString(String.join("\n", folded))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String query(String service) {
        return "query=" + enc(CPU + "{service_name=\"" + service + "\"}");
    }

    // ---------------------------------------------------------------- browser helpers

    static void open(String params) {
        driver.get(base + "/?" + params);
        awaitReady();
    }

    /** Waits until the UI finished its queries and drew them; fails with the UI's own error text. */
    static void awaitReady() {
        awaitStatus("ready");
    }

    static void awaitStatus(String expected) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> {
            String status = (String) js("return document.body.dataset.status");
            if ("error".equals(status)) {
                throw new AssertionError("the UI shows an error: " + driver.findElement(By.id("error")).getText());
            }
            return expected.equals(status);
        });
    }

    static Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    static void shot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    static WebElement el(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    @SuppressWarnings("unchecked")
    static List<String> labels(String graph) {
        return (List<String>) js("return kilnUi.graphs[arguments[0]].visibleLabels()", graph);
    }

    /** Where a frame is drawn ({x, y, w, h} on its canvas), or null when it is not drawn. */
    @SuppressWarnings("unchecked")
    static Map<String, Number> rect(String graph, String... path) {
        return (Map<String, Number>) js("const g = kilnUi.graphs[arguments[0]]; return g.rectOf(g.data.findPath(arguments[1]))", graph, List.of(path));
    }

    /** Viewport coordinates of a frame's middle, after scrolling its graph into view. */
    static int[] frameCenter(String graph, String... path) {
        @SuppressWarnings("unchecked")
        List<Number> p = (List<Number>) js("""
                const g = kilnUi.graphs[arguments[0]];
                const r = g.rectOf(g.data.findPath(arguments[1]));
                if (!r) return null;
                g.canvas.scrollIntoView({block: 'center'});
                const b = g.canvas.getBoundingClientRect();
                return [Math.round(b.left + r.x + r.w / 2), Math.round(b.top + r.y + r.h / 2)];""", graph, List.of(path));
        assertNotNull(p, () -> String.join(";", path) + " is not drawn in " + graph);
        return new int[] {p.get(0).intValue(), p.get(1).intValue()};
    }

    static void clickFrame(String graph, String... path) {
        int[] p = frameCenter(graph, path);
        new Actions(driver).moveToLocation(p[0], p[1]).click().perform();
    }

    /** The canvas pixel near a frame's right edge (away from its label). */
    static int[] pixel(String graph, String... path) {
        @SuppressWarnings("unchecked")
        List<Number> rgb = (List<Number>) js("""
                const g = kilnUi.graphs[arguments[0]];
                const r = g.rectOf(g.data.findPath(arguments[1]));
                const d = g.canvas.getContext('2d').getImageData(Math.floor(r.x + r.w - 2), Math.floor(r.y + r.h / 2), 1, 1).data;
                return [d[0], d[1], d[2]];""", graph, List.of(path));
        return rgb.stream().mapToInt(Number::intValue).toArray();
    }

    /** The colour the graph means to draw for a frame: dimmed (search, selection) or not. */
    static int[] intended(String graph, boolean dimmed, String... path) {
        @SuppressWarnings("unchecked")
        List<Number> rgb = (List<Number>) js("const g = kilnUi.graphs[arguments[0]]; const i = g.data.findPath(arguments[1]);"
                + "return arguments[2] ? g.colorOf(i, false) : g.baseColor(i)", graph, List.of(path), dimmed);
        return rgb.stream().mapToInt(Number::intValue).toArray();
    }

    static void assertColor(int[] expected, int[] actual, String what) {
        for (int k = 0; k < 3; k++) {
            assertTrue(Math.abs(expected[k] - actual[k]) <= 2, what + ": expected rgb" + java.util.Arrays.toString(expected)
                    + " but the canvas shows rgb" + java.util.Arrays.toString(actual));
        }
    }

    static List<String> tableRows(String table) {
        return driver.findElements(By.cssSelector(table + " tbody td.sym")).stream().map(e -> e.getAttribute("title")).toList();
    }

    static void type(WebElement input, String text) {
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        input.sendKeys(text);
    }

    static String state(String key) {
        return (String) js("return kilnUi.state[arguments[0]]", key);
    }

    // ---------------------------------------------------------------- tests

    @Test
    void flameGraphDrawsTheFunctionsAndTheTooltipShowsTheirValues() throws Exception {
        open(query("shop"));
        assertTrue(labels("main").containsAll(List.of("total", "java.lang.Thread.run", "com.acme.shop.Server.handle",
                "com.acme.shop.Cart.total", "com.acme.db.Pool.query", "java.net.SocketInputStream.read", "java.util.HashMap.get")), labels("main").toString());
        assertEquals(900 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.main.data.rootTotal")).longValue());
        shot("single");

        int[] p = frameCenter("main", CART);
        new Actions(driver).moveToLocation(p[0], p[1]).perform();
        WebElement tip = el("#flame-main .tooltip");
        new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> tip.isDisplayed());
        String text = tip.getText();
        for (String expected : List.of("com.acme.shop.Cart.total", "5.00 s", "55.56% of total, 62.50% of parent", "2.00 s", "22.22% of total")) {
            assertTrue(text.contains(expected), "tooltip lacks '" + expected + "': " + text);
        }
        shot("single-tooltip");
    }

    @Test
    void clickZoomsIntoAFrameAndTheResetPillZoomsOut() throws Exception {
        open(query("shop"));
        double width = rect("main").get("w").doubleValue();
        clickFrame("main", SERVER);
        assertEquals("java.lang.Thread.run;com.acme.shop.Server.handle", state("zoom"));
        assertTrue(driver.getCurrentUrl().contains("zoom=java.lang.Thread.run%3Bcom.acme.shop.Server.handle"), driver.getCurrentUrl());
        Map<String, Number> server = rect("main", SERVER);
        assertEquals(0, server.get("x").doubleValue(), 0.01);
        assertEquals(width, server.get("w").doubleValue(), 0.01);
        assertEquals(width * 500 / 800, rect("main", CART).get("w").doubleValue(), 0.5);
        assertNull(rect("main", "java.lang.Thread.run", "com.acme.shop.Idle.park"), "frames outside the zoomed one are not drawn");
        assertEquals("Zoom: com.acme.shop.Server.handle", el("#zoom-pill span").getText());
        shot("zoomed");

        el("#zoom-pill button").click();
        assertEquals("", state("zoom"));
        assertNotNull(rect("main", "java.lang.Thread.run", "com.acme.shop.Idle.park"));
    }

    @Test
    void searchHighlightsMatchesAndReportsTheirShareOfTheTotal() throws Exception {
        open(query("shop"));
        WebElement search = el("#search");
        type(search, "Cart");
        assertEquals("1 frame · 55.56% of total", el("#search-readout").getText());
        assertTrue(driver.getCurrentUrl().contains("search=Cart"), driver.getCurrentUrl());
        assertColor(intended("main", false, CART), pixel("main", CART), "a matching frame keeps its colour");
        assertColor(intended("main", true, THREAD), pixel("main", THREAD), "a frame that does not match is dimmed");
        assertFalse(java.util.Arrays.equals(intended("main", true, THREAD), intended("main", false, THREAD)));
        shot("search");

        type(search, "/HashMap|SocketInput/");
        assertEquals("3 frames · 66.67% of total", el("#search-readout").getText());
        type(search, "shop");
        // Server.handle matches and covers Cart.total and Json.write: nested matches count once.
        assertEquals("4 frames · 100.00% of total", el("#search-readout").getText());
    }

    @Test
    void topTableSortsFiltersAndHighlightsTheSelectedFunctionInTheGraph() throws Exception {
        open(query("shop"));
        assertEquals(List.of("java.util.HashMap.get", "java.net.SocketInputStream.read", "com.acme.shop.Cart.total", "com.acme.shop.Idle.park",
                "com.acme.db.Pool.query", "com.acme.shop.Json.write", "com.acme.shop.Server.handle", "java.lang.Thread.run"), tableRows("#table-main"));
        el("#table-main th[data-key=total]").click();
        assertEquals(List.of("java.lang.Thread.run", "com.acme.shop.Server.handle", "com.acme.shop.Cart.total", "java.util.HashMap.get",
                "com.acme.db.Pool.query", "java.net.SocketInputStream.read", "com.acme.shop.Idle.park", "com.acme.shop.Json.write"), tableRows("#table-main"));
        el("#table-main th[data-key=total]").click();
        assertEquals("com.acme.shop.Json.write", tableRows("#table-main").get(0));
        assertTrue(driver.getCurrentUrl().contains("sort=total%3Aasc"), driver.getCurrentUrl());
        shot("table-sorted");

        type(el("#table-main .table-filter"), "acme.shop");
        assertEquals(Set.of("com.acme.shop.Cart.total", "com.acme.shop.Idle.park", "com.acme.shop.Json.write", "com.acme.shop.Server.handle"),
                Set.copyOf(tableRows("#table-main")));
        assertEquals("4 functions", el("#table-main .table-count").getText());
        type(el("#table-main .table-filter"), "HashMap");
        el("#table-main tbody tr[data-name] td.sym").click();
        assertEquals("java.util.HashMap.get", state("fn"));
        assertTrue(el("#table-main tbody tr").getAttribute("class").contains("selected"));
        assertColor(intended("main", false, "java.lang.Thread.run", "com.acme.shop.Server.handle", "com.acme.shop.Cart.total", "java.util.HashMap.get"),
                pixel("main", "java.lang.Thread.run", "com.acme.shop.Server.handle", "com.acme.shop.Cart.total", "java.util.HashMap.get"),
                "the selected function is drawn in full colour");
        assertColor(intended("main", true, THREAD), pixel("main", THREAD), "other functions are dimmed");
        shot("table-selected");
    }

    @Test
    void sandwichShowsCallersAndCalleesOfOneFunction() throws Exception {
        open(query("shop"));
        int[] p = frameCenter("main", CART);
        new Actions(driver).moveToLocation(p[0], p[1]).contextClick().perform();
        assertTrue(el("#ctx-menu").isDisplayed());
        el("#ctx-menu [data-act=sandwich]").click();
        assertEquals("sandwich", state("mode"));
        assertEquals("com.acme.shop.Cart.total", state("fn"));
        assertTrue(labels("callers").containsAll(List.of("com.acme.shop.Cart.total", "com.acme.shop.Server.handle", "java.lang.Thread.run")), labels("callers").toString());
        assertTrue(labels("callees").containsAll(List.of("com.acme.shop.Cart.total", "java.util.HashMap.get")), labels("callees").toString());
        assertEquals(500 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.callers.data.rootTotal")).longValue());
        assertEquals(300 * NANOS_PER_SAMPLE, ((Number) js("const d = kilnUi.graphs.callees.data; return d.total[d.findPath(['java.util.HashMap.get'])]")).longValue());
        shot("sandwich");

        // HashMap.get through the table's sandwich button: two callers.
        driver.findElements(By.cssSelector("#table-main tbody tr")).stream()
                .filter(tr -> tr.findElement(By.cssSelector("td.sym")).getAttribute("title").equals("java.util.HashMap.get"))
                .findFirst().orElseThrow().findElement(By.cssSelector(".sandwich-btn")).click();
        assertEquals("java.util.HashMap.get", state("fn"));
        assertTrue(labels("callers").contains("com.acme.shop.Cart.total"), labels("callers").toString());
        assertEquals(350 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.callers.data.rootTotal")).longValue());
        assertEquals(50 * NANOS_PER_SAMPLE, ((Number) js("const d = kilnUi.graphs.callers.data; return d.total[d.findPath(['com.acme.shop.Json.write'])]")).longValue());
    }

    static String diffRanges() {
        return "&leftFrom=" + (NOW_S - 3600) * 1000 + "&leftUntil=" + (NOW_S - 1800) * 1000
                + "&rightFrom=" + (NOW_S - 1800) * 1000 + "&rightUntil=" + (NOW_S + 60) * 1000;
    }

    @Test
    void diffColoursGrowthAndShrinkageWithAColourBlindSafePalette() throws Exception {
        open("view=diff&" + query("checkout") + diffRanges());
        int[] grew = pixel("diff", "app.Main.run", "app.Idle.sleep"); // 16.67% → 45.45% of the total
        int[] added = pixel("diff", "app.Main.run", "app.Cache.load"); // only in the comparison
        int[] shrank = pixel("diff", "app.Main.run", "app.Work.compute", "app.Hash.sum"); // 50% → 15.15%
        int[] same = pixel("diff", "app.Main.run"); // 100% → 100%
        assertTrue(grew[0] > grew[2] + 60, "grown frames are vermillion: " + java.util.Arrays.toString(grew));
        assertTrue(added[0] > added[2] + 100, "new frames are full vermillion: " + java.util.Arrays.toString(added));
        assertTrue(shrank[2] > shrank[0] + 60, "shrunk frames are blue: " + java.util.Arrays.toString(shrank));
        assertTrue(Math.abs(same[0] - same[2]) < 10 && Math.abs(same[0] - same[1]) < 10, "unchanged frames are grey: " + java.util.Arrays.toString(same));
        // Blue against vermillion differs on the blue–yellow axis too, unlike red against green.
        assertTrue(shrank[2] - grew[2] > 80, "the palette separates on the blue channel");

        int[] p = frameCenter("diff", "app.Main.run", "app.Work.compute", "app.Hash.sum");
        new Actions(driver).moveToLocation(p[0], p[1]).perform();
        String tip = el("#flame-diff .tooltip").getText();
        for (String expected : List.of("app.Hash.sum", "Baseline", "3.00 s", "50.00%", "Comparison", "1.00 s", "15.15%", "−69.70%")) {
            assertTrue(tip.contains(expected), "diff tooltip lacks '" + expected + "': " + tip);
        }
        assertEquals("app.Cache.load", tableRows("#table-diff").get(0), "sorted by change, the new function comes first");
        shot("diff");

        el("#theme").click();
        assertEquals("light", js("return document.documentElement.dataset.theme"));
        assertColor(shrank, pixel("diff", "app.Main.run", "app.Work.compute", "app.Hash.sum"), "diff colours do not depend on the theme");
        shot("diff-light");
        el("#theme").click(); // the choice is remembered in the browser profile: back to dark for the other tests
        assertEquals("dark", js("return document.documentElement.dataset.theme"));
    }

    @Test
    void comparisonShowsBothSelectionsSideBySide() throws Exception {
        open("view=comparison&" + query("checkout") + diffRanges());
        assertTrue(labels("left").contains("app.Hash.sum"), labels("left").toString());
        assertTrue(labels("right").contains("app.Idle.sleep"), labels("right").toString());
        String findCacheLoad = "return kilnUi.graphs[arguments[0]].data.findPath(['app.Main.run', 'app.Cache.load'])";
        assertEquals(-1L, ((Number) js(findCacheLoad, "left")).longValue(), "only the comparison ran Cache.load");
        assertNotNull(rect("right", "app.Main.run", "app.Cache.load"));
        assertEquals(600 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.left.data.rootTotal")).longValue());
        assertEquals(660 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.right.data.rootTotal")).longValue());
        shot("comparison");
    }

    @Test
    void theUrlRestoresQueryViewZoomAndSearch() throws Exception {
        open(query("shop"));
        el("#orient [data-orient=flame]").click();
        type(el("#search"), "Cart");
        clickFrame("main", SERVER);
        el("#modes [data-mode=flame]").click();
        String url = driver.getCurrentUrl();
        for (String part : List.of("orient=flame", "search=Cart", "zoom=java.lang.Thread.run%3Bcom.acme.shop.Server.handle", "mode=flame",
                "query=" + enc(CPU + "{service_name=\"shop\"}"))) {
            assertTrue(url.contains(part), url + " lacks " + part);
        }

        driver.get("about:blank");
        driver.get(url);
        awaitReady();
        assertEquals("Cart", el("#search").getAttribute("value"));
        assertEquals("{service_name=\"shop\"}", el("#selector").getAttribute("value"));
        assertEquals("1 frame · 55.56% of total", el("#search-readout").getText());
        assertEquals("flame", js("return kilnUi.graphs.main.orientation"));
        assertEquals("com.acme.shop.Server.handle", js("const g = kilnUi.graphs.main; return g.data.label(g.focus)"));
        assertEquals("flame", el("#view-single").getAttribute("data-mode"));
        assertTrue(el("#modes [data-mode=flame]").getAttribute("class").contains("active"));
        shot("url-restored");
    }

    @Test
    void labelSelectorAutocompletesNamesAndValues() throws Exception {
        open(query("shop"));
        WebElement selector = el("#selector");
        selector.click();
        type(selector, "{serv");
        new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> el("#querybar .suggest").isDisplayed());
        assertTrue(el("#querybar .suggest li.active").getText().endsWith("service_name"), el("#querybar .suggest").getText());
        selector.sendKeys(Keys.ENTER);
        assertEquals("{service_name=\"", selector.getAttribute("value"));
        selector.sendKeys("ch");
        new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> el("#querybar .suggest li.active").getText().endsWith("checkout"));
        shot("autocomplete");
        selector.sendKeys(Keys.ENTER);
        assertEquals("{service_name=\"checkout\"", selector.getAttribute("value"));
        selector.sendKeys("}", Keys.ENTER);
        awaitReady();
        assertEquals(CPU + "{service_name=\"checkout\"}", state("query"));
        assertTrue(labels("main").contains("app.Main.run"), labels("main").toString());
    }

    @Test
    void timeSeriesSelectsARangeByDraggingAndGroupsByALabel() throws Exception {
        open(query("shop"));
        @SuppressWarnings("unchecked")
        List<Number> box = (List<Number>) js("const b = document.querySelector('#timeline-main canvas').getBoundingClientRect(); return [b.left, b.top, b.width, b.height]");
        double left = box.get(0).doubleValue() + 64; // the plot's left padding
        double plot = box.get(2).doubleValue() - 64 - 12;
        int y = (int) (box.get(1).doubleValue() + box.get(3).doubleValue() / 2);
        new Actions(driver).moveToLocation((int) (left + plot * 0.75), y).clickAndHold()
                .moveToLocation((int) (left + plot * 0.99), y).release().perform();
        awaitReady();
        long from = Long.parseLong(state("from"));
        long until = Long.parseLong(state("until"));
        assertEquals(0.24 * 3600_000, until - from, 60_000, "the dragged quarter of the hour becomes the range");
        assertTrue(el("#range-btn").getText().contains("→"), el("#range-btn").getText());
        assertEquals(900 * NANOS_PER_SAMPLE, ((Number) js("return kilnUi.graphs.main.data.rootTotal")).longValue());

        new Select(el("#group-by")).selectByValue("env");
        awaitReady();
        assertEquals("env", state("groupBy"));
        assertEquals("env=prod", el("#legend .legend-item").getText());
        shot("timeseries-groupby");
    }

    @Test
    void namesAndLabelsAreShownAsTextNeverAsMarkup() throws Exception {
        open(query("markup") + "&groupBy=team");
        int[] p = frameCenter("main", "main", MARKUP);
        new Actions(driver).moveToLocation(p[0], p[1]).perform();
        assertTrue(el("#flame-main .tooltip").getText().contains(MARKUP), el("#flame-main .tooltip").getText());
        assertTrue(tableRows("#table-main").contains(MARKUP), tableRows("#table-main").toString());
        assertEquals("team=<b>ops</b>", el("#legend .legend-item").getText());
        assertTrue(driver.findElements(By.cssSelector("#views img, #legend b")).isEmpty(), "no element was created from data");
        assertNull(js("return window.injected"));
    }

    @Test
    void aRangeWithoutProfilesExplainsHowToSendOne() throws Exception {
        driver.get(base + "/?from=" + (NOW_S - 3 * 86400) * 1000 + "&until=" + (NOW_S - 2 * 86400) * 1000);
        awaitStatus("empty");
        assertTrue(el("#empty").isDisplayed());
        assertEquals("curl -X POST --data-binary 'main;work;hash 30' '" + base + "/ingest?name=my-app.cpu'", el("#empty-curl").getText());
        assertFalse(el("#views").isDisplayed());
    }

    @Test
    void truncatedProfilesShowTheOtherMarker() throws Exception {
        open(query("shop") + "&maxNodes=4");
        assertTrue(el("#truncated").isDisplayed());
        assertTrue(el("#truncated").getText().contains("\"other\""), el("#truncated").getText());
        assertTrue(labels("main").contains("other"), labels("main").toString());
        shot("truncated");
    }

    @Test
    void exportsCarryTheSameDataAsTheServer() throws Exception {
        open(query("shop"));
        Set<String> expected = SHOP.stream().map(l -> {
            int sp = l.lastIndexOf(' ');
            return l.substring(0, sp) + " " + Long.parseLong(l.substring(sp + 1)) * NANOS_PER_SAMPLE;
        }).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, new TreeSet<>(List.of(exported("folded").get("text").split("\n"))));

        JsonNode ours = JSON.readTree(exported("json").get("text"));
        HttpResponse<String> render = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/pyroscope/render?"
                + query("shop") + "&from=now-1h&until=now")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode theirs = JSON.readTree(render.body());
        assertEquals(theirs.get("flamebearer"), ours.get("flamebearer"));
        assertEquals(theirs.get("metadata"), ours.get("metadata"));

        byte[] gz = Base64.getDecoder().decode(exported("pprof").get("base64"));
        Profile profile;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            profile = Profile.parseFrom(in.readAllBytes());
        }
        assertEquals(900 * NANOS_PER_SAMPLE, profile.getSampleList().stream().mapToLong(s -> s.getValue(0)).sum());
        assertTrue(profile.getStringTableList().contains("com.acme.shop.Cart.total"));

        String svg = exported("svg").get("text");
        assertTrue(svg.startsWith("<svg") && svg.contains(">com.acme.shop.Cart.total<"), svg);
        String html = exported("html").get("text");
        assertTrue(html.startsWith("<!doctype html>") && html.contains("<svg") && !html.contains("<script"), html);
    }

    /** An export as the UI builds it for download: {name, text} or {name, base64}. */
    @SuppressWarnings("unchecked")
    static Map<String, String> exported(String kind) {
        Map<String, String> r = (Map<String, String>) driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                kilnUi.exportFile(arguments[0]).then(async f => {
                  if (typeof f.content === 'string') return done({name: f.name, text: f.content});
                  const bytes = new Uint8Array(await f.content.arrayBuffer());
                  let s = '';
                  for (const b of bytes) s += String.fromCharCode(b);
                  done({name: f.name, base64: btoa(s)});
                }).catch(e => done({error: String(e)}));""", kind);
        assertNull(r.get("error"), () -> kind + " export failed: " + r.get("error"));
        return r;
    }

    @Test
    void aFlameGraphOf50kNodesRendersAndZoomsWithoutFreezing() throws Exception {
        long t0 = System.nanoTime();
        open(query("big") + "&mode=flame&maxNodes=60000");
        long loadMs = (System.nanoTime() - t0) / 1_000_000;
        long nodes = ((Number) js("return kilnUi.graphs.main.data.n")).longValue();
        assertEquals(51_101, nodes, "every node of the profile reached the browser");
        double firstDraw = ((Number) js("return kilnUi.graphs.main.lastDrawMs")).doubleValue();
        shot("big");

        List<String[]> targets = List.of(new String[] {"org.big3.Service4.call"}, new String[] {"org.big3.Service4.call", "org.big3.Worker5.step"},
                new String[0], new String[] {"org.big7.Service1.call"}, new String[0]);
        List<String> zooms = new ArrayList<>();
        for (String[] target : targets) {
            js("kilnUi.graphs.main.lastPaintMs = -1");
            clickFrame("main", target);
            new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> ((Number) js("return kilnUi.graphs.main.lastPaintMs")).doubleValue() >= 0);
            assertEquals(String.join(";", target), state("zoom"));
            zooms.add(String.format("%s: handler %.1f ms, next frame %.1f ms, draw %.1f ms", target.length == 0 ? "reset" : target[target.length - 1],
                    ((Number) js("return kilnUi.graphs.main.lastInteractionMs")).doubleValue(),
                    ((Number) js("return kilnUi.graphs.main.lastPaintMs")).doubleValue(),
                    ((Number) js("return kilnUi.graphs.main.lastDrawMs")).doubleValue()));
            if (target.length == 2) {
                shot("big-zoomed");
            }
        }
        double searchMs = ((Number) js("const t = performance.now(); kilnUi.update({search: 'Leaf7'}); return performance.now() - t")).doubleValue();
        assertTrue(el("#search-readout").getText().startsWith("1000 frames"), el("#search-readout").getText());

        String report = String.format("web UI, %d-node flame graph: page load + query %d ms, first draw %.1f ms, search 'Leaf7' %.1f ms%n  zoom %s%n",
                nodes, loadMs, firstDraw, searchMs, String.join("\n  zoom ", zooms));
        System.out.print(report);
        Files.writeString(SCREENSHOTS.resolve("performance.txt"), report);
    }
}
