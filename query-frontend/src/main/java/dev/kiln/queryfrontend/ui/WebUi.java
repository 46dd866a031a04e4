package dev.kiln.queryfrontend.ui;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.kiln.common.server.KilnServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The built-in web UI: {@code GET /} is the page and {@code GET /ui/...} its assets (plain ES
 * modules, CSS, icons) read from the classpath directory {@value #RESOURCE_DIR} at startup.
 *
 * <p>The page links its assets under {@code /ui/v<content hash>/}, so they are cached as
 * immutable (a new build has a new hash) while the page itself is always revalidated. Assets
 * are also served under {@code /ui/<file>} with revalidation. Responses carry an ETag and honour
 * {@code If-None-Match}; gzip comes from the route's encoding decorator. Nothing is fetched from
 * the network at run time.
 */
public final class WebUi implements HttpService {
    static final String RESOURCE_DIR = "dev/kiln/queryfrontend/ui";
    static final String INDEX = "index.html";
    private static final String ASSET_PREFIX = "/ui/";
    private static final Pattern ASSET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Map<String, MediaType> TYPES = Map.of(
            "html", MediaType.HTML_UTF_8,
            "js", MediaType.JAVASCRIPT_UTF_8,
            "css", MediaType.CSS_UTF_8,
            "svg", MediaType.SVG_UTF_8,
            "json", MediaType.JSON_UTF_8,
            "png", MediaType.PNG);
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String REVALIDATE = "no-cache";
    // The page loads only its own scripts and talks only to this server.
    private static final String CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            + "object-src 'none'; base-uri 'self'; frame-ancestors 'self'";

    private record Asset(byte[] bytes, MediaType type, String etag) {}

    private final Map<String, Asset> assets = new TreeMap<>();
    private final String version;
    private final Asset page;

    /** Loads the UI from the classpath; {@code multitenancy} shows the tenant (X-Scope-OrgID) field. */
    public WebUi(boolean multitenancy) {
        Map<String, byte[]> files = readResources(WebUi.class.getClassLoader());
        if (!files.containsKey(INDEX)) {
            throw new IllegalStateException("web UI resource " + RESOURCE_DIR + "/" + INDEX + " is missing from the classpath");
        }
        MessageDigest all = sha256();
        files.forEach((name, bytes) -> {
            all.update(name.getBytes(StandardCharsets.UTF_8));
            all.update(bytes);
            assets.put(name, asset(name, bytes));
        });
        version = "v" + HexFormat.of().formatHex(all.digest(), 0, 6);
        String html = new String(files.get(INDEX), StandardCharsets.UTF_8)
                .replace("__KILN_ASSETS__", ASSET_PREFIX.substring(1) + version)
                .replace("__KILN_MULTITENANCY__", Boolean.toString(multitenancy));
        page = asset(INDEX, html.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds {@code GET /} and {@code GET /ui/*}; neither shadows another route. */
    public void register(KilnServer server) {
        server.route(HttpMethod.GET, "/", this);
        server.routePrefix(HttpMethod.GET, ASSET_PREFIX, this);
    }

    /** The content hash that versions the asset URLs, e.g. {@code v3f9a1c02be77}. */
    public String version() {
        return version;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String path = ctx.path();
        if (path.equals("/")) {
            return respond(page, REVALIDATE, req);
        }
        String[] parts = path.substring(ASSET_PREFIX.length()).split("/", -1);
        String name = parts[parts.length - 1];
        if (parts.length > 2 || !ASSET_NAME.matcher(name).matches() || (parts.length == 2 && !parts[0].startsWith("v"))) {
            return HttpResponse.of(HttpStatus.NOT_FOUND);
        }
        Asset asset = name.equals(INDEX) ? page : assets.get(name);
        if (asset == null) {
            return HttpResponse.of(HttpStatus.NOT_FOUND);
        }
        // A page from an older build may ask for its version: serve what we have, uncached.
        boolean current = parts.length == 2 && parts[0].equals(version);
        return respond(asset, current ? IMMUTABLE : REVALIDATE, req);
    }

    private static HttpResponse respond(Asset asset, String cacheControl, HttpRequest req) {
        boolean notModified = asset.etag.equals(req.headers().get(HttpHeaderNames.IF_NONE_MATCH));
        ResponseHeadersBuilder h = ResponseHeaders.builder(notModified ? HttpStatus.NOT_MODIFIED : HttpStatus.OK)
                .set(HttpHeaderNames.ETAG, asset.etag)
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(HttpHeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff");
        if (asset.type.equals(MediaType.HTML_UTF_8)) {
            h.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CSP);
        }
        if (notModified) {
            return HttpResponse.of(h.build());
        }
        return HttpResponse.of(h.contentType(asset.type).build(), HttpData.wrap(asset.bytes));
    }

    private static Asset asset(String name, byte[] bytes) {
        String ext = name.substring(name.lastIndexOf('.') + 1);
        MediaType type = TYPES.getOrDefault(ext, MediaType.OCTET_STREAM);
        return new Asset(bytes, type, '"' + HexFormat.of().formatHex(sha256().digest(bytes), 0, 8) + '"');
    }

    /** Every file directly in {@value #RESOURCE_DIR}, from a directory (tests, IDE) or a jar. */
    static Map<String, byte[]> readResources(ClassLoader loader) {
        URL marker = loader.getResource(RESOURCE_DIR + "/" + INDEX);
        if (marker == null) {
            throw new IllegalStateException("web UI resources " + RESOURCE_DIR + " are missing from the classpath");
        }
        Map<String, byte[]> files = new TreeMap<>();
        try {
            if (marker.getProtocol().equals("jar")) {
                JarFile jar = ((JarURLConnection) marker.openConnection()).getJarFile();
                String prefix = RESOURCE_DIR + "/";
                for (JarEntry e : Collections.list(jar.entries())) {
                    String rest = e.getName().startsWith(prefix) ? e.getName().substring(prefix.length()) : "";
                    if (!e.isDirectory() && ASSET_NAME.matcher(rest).matches()) {
                        try (InputStream in = jar.getInputStream(e)) {
                            files.put(rest, in.readAllBytes());
                        }
                    }
                }
            } else {
                try (Stream<Path> dir = Files.list(Path.of(marker.toURI()).getParent())) {
                    for (Path p : (Iterable<Path>) dir::iterator) {
                        if (Files.isRegularFile(p) && ASSET_NAME.matcher(p.getFileName().toString()).matches()) {
                            files.put(p.getFileName().toString(), Files.readAllBytes(p));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web UI resources from " + marker, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot read the web UI resources from " + marker, e);
        }
        return files;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
