package ui_test

// Helpers of the end-to-end tests (e2e_test.go): they drive a real headless
// Chromium through the DevTools protocol (github.com/chromedp/chromedp)
// against the fixture's test server, the way a person would: typing into
// fields found by their label, clicking buttons and links found by their
// text, reading the visible text.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const (
	// e2eTestTimeout bounds one flow (a subtest); e2eTotalTimeout bounds
	// the browser's whole life.
	e2eTestTimeout  = 60 * time.Second
	e2eTotalTimeout = 5 * time.Minute
	desktopWidth    = 1280
	desktopHeight   = 900
	phoneWidth      = 390
	phoneHeight     = 844
)

// chromiumPath returns the browser to drive: $CHROMIUM, else Debian's
// /usr/bin/chromium; "" when there is none.
func chromiumPath() string {
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return ""
	}
	return p
}

// artifactsDir is where screenshots go: $CANAILLE_ARTIFACTS, else
// test-artifacts/ui/ at the root of the repository (ignored by git).
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("CANAILLE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts", "ui")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

// browserSession is one headless Chromium process, shared by the flows of
// a test; each flow gets its own browser contexts (like incognito windows),
// so no cookie leaks from one flow to the next.
type browserSession struct {
	root context.Context // a chromedp context that started the browser
}

// startBrowser launches Chromium, or skips the test when it is not
// installed. The browser is stopped, and its processes reaped, when the
// test ends.
func startBrowser(t *testing.T) *browserSession {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		t.Skip("no Chromium (set $CHROMIUM or install Debian's chromium): end-to-end tests skipped")
	}
	if testing.Short() {
		t.Skip("end-to-end tests skipped in -short mode")
	}
	dataDir := t.TempDir()
	var output syncBuffer
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dataDir),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.CombinedOutput(&output),
	}
	deadline, stopDeadline := context.WithTimeout(context.Background(), e2eTotalTimeout)
	allocCtx, stopAlloc := chromedp.NewExecAllocator(deadline, opts...)
	root, stopRoot := chromedp.NewContext(allocCtx)
	var pid int
	t.Cleanup(func() {
		// Close the browser gracefully, then make sure nothing of it is
		// left: the allocator waits for the main process, and children
		// that outlive it are ended by their process id.
		cctx, cancel := context.WithTimeout(root, 10*time.Second)
		_ = chromedp.Cancel(cctx)
		cancel()
		stopRoot()
		stopAlloc()
		stopDeadline()
		killBrowserLeftovers(t, pid, dataDir)
	})
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, output.String())
	}
	if b := chromedp.FromContext(root).Browser; b != nil && b.Process() != nil {
		pid = b.Process().Pid
	}
	return &browserSession{root: root}
}

// killBrowserLeftovers ends the processes that this test's browser started
// (its main process and the children that carry its profile directory),
// found by process id in /proc. Chromium's helpers sometimes outlive the
// main process for a moment.
func killBrowserLeftovers(t *testing.T, pid int, dataDir string) {
	marker := "--user-data-dir=" + dataDir
	for quiet := 0; quiet < 3; {
		found := false
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			p, err := strconv.Atoi(e.Name())
			if err != nil || p == os.Getpid() {
				continue
			}
			cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil {
				continue
			}
			if p == pid || strings.Contains(string(cmd), marker) {
				if syscall.Kill(p, syscall.SIGKILL) == nil {
					found = true
				}
			}
		}
		if found {
			quiet = 0
			time.Sleep(50 * time.Millisecond)
		} else {
			quiet++
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// tab is one browser window of a flow, in a browser context of its own.
type tab struct {
	t    *testing.T
	f    *fixture
	ctx  context.Context
	shot string // directory of the screenshots
}

// newTab opens a window in a fresh browser context (its own cookies) at
// the desktop viewport. It closes when the test ends or after
// e2eTestTimeout.
func (b *browserSession) newTab(t *testing.T, f *fixture) *tab {
	t.Helper()
	tctx, stopTimer := context.WithTimeout(b.root, e2eTestTimeout)
	ctx, closeTab := chromedp.NewContext(tctx, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		closeTab()
		stopTimer()
	})
	tb := &tab{t: t, f: f, ctx: ctx, shot: artifactsDir(t)}
	tb.viewport(desktopWidth, desktopHeight, false)
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) fatalf(format string, args ...any) {
	tb.t.Helper()
	tb.t.Fatalf(format+"\n(page %s)", append(args, tb.url())...)
}

// do runs actions, failing the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// viewport sets the size of the page; mobile emulates a phone.
func (tb *tab) viewport(w, h int64, mobile bool) {
	tb.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	tb.do(chromedp.EmulateViewport(w, h, opts...))
}

// colorScheme emulates prefers-color-scheme ("light", "dark", or "" to
// follow the default).
func (tb *tab) colorScheme(scheme string) {
	tb.t.Helper()
	p := emulation.SetEmulatedMediaParams{}
	if scheme != "" {
		p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, p); err != nil {
		tb.t.Fatal(err)
	}
}

// open loads a path of the test server (or an absolute URL) and returns
// the HTTP status of the page, after any redirect.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = tb.f.srv.URL + path
	}
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(u))
	if err != nil {
		tb.t.Fatalf("opening %s: %v", u, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// xpathString quotes s as an XPath string literal.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	parts := strings.Split(s, `"`)
	return `concat("` + strings.Join(parts, `", '"', "`) + `")`
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// clickButton clicks the visible <button> whose text is text, waits for
// the page it leads to, and returns its HTTP status.
func (tb *tab) clickButton(text string) int64 {
	tb.t.Helper()
	return tb.clickAndWait("button", fmt.Sprintf(`//button[normalize-space(.)=%s]`, xpathString(text)), text)
}

// clickLink clicks the visible link whose text is text, and waits for the
// page it leads to.
func (tb *tab) clickLink(text string) int64 {
	tb.t.Helper()
	return tb.clickAndWait("link", fmt.Sprintf(`//a[normalize-space(.)=%s]`, xpathString(text)), text)
}

func (tb *tab) clickAndWait(kind, xpath, text string) int64 {
	tb.t.Helper()
	n := evalJS[int](tb, fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength`, jsString(xpath)))
	if n == 0 {
		tb.fatalf("no %s %q on the page; visible text:\n%s", kind, text, tb.bodyText())
	}
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(xpath))
	if err != nil {
		tb.fatalf("clicking the %s %q: %v", kind, text, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// fieldJS is a JavaScript expression giving the form control labelled
// label: by a <label> (its own text, without the nested control and help)
// or by aria-label.
func fieldJS(label string) string {
	return fmt.Sprintf(`(() => {
	const want = %s;
	const norm = s => s.replace(/\s+/g, " ").trim();
	for (const l of document.querySelectorAll("label")) {
		let own = "";
		for (const n of l.childNodes) if (n.nodeType === Node.TEXT_NODE) own += n.textContent;
		if (norm(own) === want && l.control) return l.control;
	}
	for (const el of document.querySelectorAll("[aria-label]")) {
		if (norm(el.getAttribute("aria-label")) === want) return el;
	}
	return null;
})()`, jsString(label))
}

// field checks that a control labelled label exists and returns a
// selector of it.
func (tb *tab) field(label string) chromedp.JSPath {
	tb.t.Helper()
	if !evalJS[bool](tb, fieldJS(label)+" !== null") {
		tb.fatalf("no field labelled %q; visible text:\n%s", label, tb.bodyText())
	}
	return chromedp.JSPath(fieldJS(label))
}

// fill empties the field labelled label and types value into it.
func (tb *tab) fill(label, value string) {
	tb.t.Helper()
	sel := tb.field(label)
	evalJS[chromedp.Void](tb, fieldJS(label)+`.value = ""`)
	if err := chromedp.Do(tb.ctx, chromedp.SendKeys(sel, value)); err != nil {
		tb.fatalf("typing into %q: %v", label, err)
	}
	if got := tb.value(label); got != value {
		tb.fatalf("field %q holds %q after typing %q", label, got, value)
	}
}

// value returns what the field labelled label holds.
func (tb *tab) value(label string) string {
	tb.t.Helper()
	tb.field(label)
	return evalJS[string](tb, fieldJS(label)+".value")
}

// choose selects the option whose text is option in the <select>
// labelled label, as a person picking it in the list.
func (tb *tab) choose(label, option string) {
	tb.t.Helper()
	tb.field(label)
	ok := evalJS[bool](tb, fmt.Sprintf(`(() => {
	const s = %s, want = %s;
	const o = [...s.options].find(o => o.text.trim() === want);
	if (!o) return false;
	s.focus();
	s.value = o.value;
	s.dispatchEvent(new Event("input", {bubbles: true}));
	s.dispatchEvent(new Event("change", {bubbles: true}));
	return true;
})()`, fieldJS(label), jsString(option)))
	if !ok {
		tb.fatalf("no option %q in the list %q", option, label)
	}
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil && !(errors.Is(err, chromedp.ErrJSUndefined) && isVoid[T]()) {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func isVoid[T any]() bool {
	var v T
	_, ok := any(v).(chromedp.Void)
	return ok
}

// waitFor polls a JavaScript condition until it holds.
func (tb *tab) waitFor(what, cond string, timeout time.Duration) {
	tb.t.Helper()
	end := time.Now().Add(timeout)
	for !evalJS[bool](tb, cond) {
		if time.Now().After(end) {
			tb.fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// url returns the address of the page.
func (tb *tab) url() string {
	u, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// path returns the path (and query) of the page.
func (tb *tab) path() string {
	tb.t.Helper()
	u, err := url.Parse(tb.url())
	if err != nil {
		tb.t.Fatal(err)
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// expectPath checks the path of the page.
func (tb *tab) expectPath(want string) {
	tb.t.Helper()
	if got := tb.path(); got != want {
		tb.fatalf("on %s, want %s; visible text:\n%s", got, want, tb.bodyText())
	}
}

// bodyText is the text of the page as rendered (innerText: hidden text
// left out).
func (tb *tab) bodyText() string {
	tb.t.Helper()
	return evalJS[string](tb, "document.body ? document.body.innerText : ''")
}

// text returns the rendered text of the first element matching css, ""
// when there is none.
func (tb *tab) text(css string) string {
	tb.t.Helper()
	return evalJS[string](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText.trim() : ""; })()`, jsString(css)))
}

// sees checks that the page shows each of parts.
func (tb *tab) sees(parts ...string) {
	tb.t.Helper()
	body := tb.bodyText()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			tb.fatalf("the page does not show %q; visible text:\n%s", p, body)
		}
	}
}

// doesNotSee checks that the page shows none of parts.
func (tb *tab) doesNotSee(parts ...string) {
	tb.t.Helper()
	body := tb.bodyText()
	for _, p := range parts {
		if strings.Contains(body, p) {
			tb.fatalf("the page shows %q; visible text:\n%s", p, body)
		}
	}
}

// heading returns the text of the page's <h1>.
func (tb *tab) heading() string {
	tb.t.Helper()
	return tb.text("h1")
}

// screenshot saves a full-page PNG of the page as name.png.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	// Let web fonts, images and transitions settle.
	tb.waitFor("the page to be ready", `document.readyState === "complete" && [...document.images].every(i => i.complete)`, 5*time.Second)
	buf, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.shot, name+".png"), buf, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// signIn goes through both steps of the sign-in pages and checks the
// landing page.
func (tb *tab) signIn(login, password, landing string) {
	tb.t.Helper()
	tb.open("/login")
	tb.fill("User name or email address", login)
	if st := tb.clickButton("Continue"); st != 200 {
		tb.fatalf("identifier step answered %d", st)
	}
	tb.expectPath("/auth/password")
	tb.fill("Password", password)
	if st := tb.clickButton("Sign in"); st != 200 {
		tb.fatalf("password step answered %d; visible text:\n%s", st, tb.bodyText())
	}
	tb.expectPath(landing)
}

// overflowingX lists the elements that stick out of the viewport to the
// right (the page scrolls sideways, or a phone zooms out), "" when none.
//
// In mobile emulation the layout viewport grows to fit content that is too
// wide, so the width to respect is the device's, passed as width.
func (tb *tab) overflowingX(width int) string {
	tb.t.Helper()
	return evalJS[string](tb, `(() => {
	const vw = `+strconv.Itoa(width)+`, out = [];
	if (document.documentElement.scrollWidth <= vw) return "";
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.right <= vw + 1 || r.width === 0) continue;
		// A scrolling ancestor clips the element, unless the element is
		// positioned out of it (approximately: absolute or fixed).
		let clipped = false;
		const pos = getComputedStyle(el).position;
		for (let p = el.parentElement; p && p !== document.body && pos !== "absolute" && pos !== "fixed"; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.overflowX !== "visible" && p.getBoundingClientRect().right <= vw + 1) { clipped = true; break; }
		}
		if (clipped) continue;
		const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
		out.push(name + " right=" + Math.round(r.right));
		if (out.length >= 6) break;
	}
	return "page " + document.documentElement.scrollWidth + "px wide on a " + vw + "px wide screen: " + out.join(", ");
})()`)
}

// wrappedLinks lists the links matching css whose text wraps onto more
// than one line, "" when none.
func (tb *tab) wrappedLinks(css string) string {
	tb.t.Helper()
	return evalJS[string](tb, `(() => {
	const out = [];
	for (const a of document.querySelectorAll(`+jsString(css)+`)) {
		const h = a.getBoundingClientRect().height;
		const old = a.style.whiteSpace;
		a.style.whiteSpace = "nowrap";
		const one = a.getBoundingClientRect().height;
		a.style.whiteSpace = old;
		if (h > one + 2) out.push(JSON.stringify(a.innerText.replace(/\s+/g, " ").trim()));
	}
	return out.join(", ");
})()`)
}
