package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func init() { subcommands = append(subcommands, cmdOIDC) }

var cmdOIDC = &subcommand{
	name: "oidc", args: "--issuer URL --workload NAME [--client-id ID --client-secret S] [--user U --password P] [--concurrency 16] [--duration 10s] [--pid PID]…",
	summary: "load an OpenID Connect provider: tokens, code flows, userinfo, discovery, JWKS",
	help: `Drives any OpenID Connect provider (canaille, oidc-provider, any other):
the endpoints come from the issuer's discovery document
(ISSUER/.well-known/openid-configuration). Workers share one HTTP
transport that keeps --concurrency connections open, so that connection
set-up is not what is measured. Each worker prepares itself (signs in,
gets its tokens), performs one operation to check that everything works,
then all run the workload for --warmup without measuring, then for
--duration, recording the latency of every operation. Prints ops/s,
latency percentiles and errors (the first distinct messages).

Workloads:
  token-cc       POST token endpoint, grant_type=client_credentials, with
                 client_secret_basic (--cc-scope adds a scope)
  token-refresh  each worker holds a refresh token (from one code flow) and
                 exchanges it, keeping the new one when the provider rotates
  flow           a whole authorization code flow with PKCE (S256), state and
                 nonce: GET authorization endpoint with the worker's signed-in
                 session, follow the redirects to --redirect-uri, POST the
                 code to the token endpoint; one operation per flow
  userinfo       GET userinfo with the access token of one code flow
  discovery      GET /.well-known/openid-configuration
  jwks           GET the jwks_uri

flow, token-refresh and userinfo need a user (--user, --password) and a
client allowed the authorization_code grant (and refresh_token) with
--redirect-uri registered; nothing needs to listen there. Each worker
signs in once through the provider's own pages with a cookie jar: it
fills the form that asks for a login or user name and a password (one
page, or one page for each as canaille asks), then accepts a consent
page if one is shown (a form whose button says accept, allow, continue,
confirm, authorize or yes). During the measured window a page instead of
a redirect is an error.

--count N runs exactly N operations (split among the workers) with no
warm-up and no time limit, printing progress every 10 seconds: with
short-lived tokens, 'token-cc --count 1000000' fills a server with tokens
that then expire.

With --pid (repeatable, or comma-separated), /proc/PID/stat is read before
and after the measured window: the CPU time those processes spent per
operation and as a percentage of one core, and their resident memory at
the end. --json prints one line that 'canaille-bench table' reads;
--variant (such as "jwt ES256") is appended to the workload name there, so
that one table can hold several configurations of the same servers.`,
	run: runOIDC,
}

// oidcConfig is everything an OIDC run needs.
type oidcConfig struct {
	issuer                 string
	clientID, clientSecret string
	user, password         string
	redirectURI            string
	scope, ccScope         string
	workload               *oidcWorkload
	concurrency            int
	duration, warmup       time.Duration
	count                  int64
	timeout                time.Duration
	pids                   []int
	label, variant         string
	meta                   providerMeta
	transport              *http.Transport
	client                 *http.Client // shared, no cookies, no redirects
	httpClient             string       // "lean" (leanHTTP) or "std" (net/http only)
	redirect               *url.URL
	progress               io.Writer
	progressEvery          time.Duration
}

// providerMeta is what the tool reads from the discovery document.
type providerMeta struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// oidcWorkload is one kind of operation.
type oidcWorkload struct {
	name string
	// signIn: each worker signs in (and runs one code flow) when it is
	// prepared.
	signIn bool
	op     func(w *oidcWorker) error
}

var oidcWorkloads = []*oidcWorkload{
	{"token-cc", false, opTokenCC},
	{"token-refresh", true, opTokenRefresh},
	{"flow", true, opFlow},
	{"userinfo", true, opUserinfo},
	{"discovery", false, opDiscovery},
	{"jwks", false, opJWKS},
}

func findOIDCWorkload(name string) *oidcWorkload {
	for _, w := range oidcWorkloads {
		if w.name == name {
			return w
		}
	}
	return nil
}

func oidcWorkloadNames() string {
	names := make([]string, len(oidcWorkloads))
	for i, w := range oidcWorkloads {
		names[i] = w.name
	}
	return strings.Join(names, "|")
}

func runOIDC(ctx context.Context, c *subcommand, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(c, stdout)
	cfg := &oidcConfig{progress: stderr, progressEvery: 10 * time.Second}
	var name string
	var pids pidList
	var asJSON bool
	fs.StringVar(&cfg.issuer, "issuer", "", "issuer URL, such as http://127.0.0.1:5000 (required)")
	fs.StringVar(&name, "workload", "", "workload: "+oidcWorkloadNames()+" (required)")
	fs.StringVar(&cfg.clientID, "client-id", "", "client_id (every workload but discovery and jwks)")
	fs.StringVar(&cfg.clientSecret, "client-secret", "", "client secret, sent with client_secret_basic")
	fs.StringVar(&cfg.user, "user", "", "user name to sign in with (flow, token-refresh, userinfo)")
	fs.StringVar(&cfg.password, "password", "", "password of --user")
	fs.StringVar(&cfg.redirectURI, "redirect-uri", "", "a redirect URI registered for the client (flow, token-refresh, userinfo)")
	fs.StringVar(&cfg.scope, "scope", "openid profile email", "scope of the code flows")
	fs.StringVar(&cfg.ccScope, "cc-scope", "", "scope of token-cc requests (default: none sent)")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "workers, each sending one request at a time")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up before the measured duration")
	fs.Int64Var(&cfg.count, "count", 0, "run exactly this many operations instead of --warmup and --duration")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "time limit of one HTTP request")
	fs.StringVar(&cfg.httpClient, "http-client", "lean", "client of the plain requests: \"lean\" (one HTTP/1.1 connection per worker, read and written\nin the worker: the tool then takes less of the CPU it shares with the server) or \"std\" (net/http's)")
	fs.Var(&pids, "pid", "server process ID to sample in /proc (repeatable)")
	fs.StringVar(&cfg.label, "label", "", "server name in the output (default: the issuer)")
	fs.StringVar(&cfg.variant, "variant", "", "configuration appended to the workload name in the output, such as \"jwt RS256\"")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	wl := findOIDCWorkload(name)
	switch {
	case cfg.issuer == "" || name == "":
		return usageError{"--issuer and --workload are required"}
	case wl == nil:
		return usageError{fmt.Sprintf("unknown workload %q (want %s)", name, oidcWorkloadNames())}
	case cfg.httpClient != "lean" && cfg.httpClient != "std":
		return usageError{fmt.Sprintf("--http-client %q: want lean or std", cfg.httpClient)}
	case cfg.concurrency < 1 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.count < 0 || cfg.timeout <= 0:
		return usageError{"--concurrency, --duration and --timeout must be positive, --warmup and --count not negative"}
	case (wl.signIn || wl.name == "token-cc") && (cfg.clientID == "" || cfg.clientSecret == ""):
		return usageError{fmt.Sprintf("%s needs --client-id and --client-secret", wl.name)}
	case wl.signIn && (cfg.user == "" || cfg.password == "" || cfg.redirectURI == ""):
		return usageError{fmt.Sprintf("%s needs --user, --password and --redirect-uri", wl.name)}
	}
	cfg.workload, cfg.pids = wl, pids
	cfg.issuer = strings.TrimSuffix(cfg.issuer, "/")
	if cfg.label == "" {
		cfg.label = cfg.issuer
	}
	if cfg.redirectURI != "" {
		u, err := url.Parse(cfg.redirectURI)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return usageError{fmt.Sprintf("--redirect-uri %q is not an absolute URL", cfg.redirectURI)}
		}
		cfg.redirect = u
	}
	for _, pid := range cfg.pids {
		if _, err := procCPU(pid); err != nil {
			return fmt.Errorf("--pid %d: cannot read its /proc entry: %w", pid, err)
		}
	}
	res, err := measureOIDC(ctx, cfg, stderr)
	if res != nil {
		if asJSON {
			line, _ := json.Marshal(res)
			fmt.Fprintf(stdout, "%s\n", line)
		} else {
			printOIDCResult(stdout, res)
		}
	}
	return err
}

// newTransport returns the workers' shared transport: enough idle
// connections kept for every worker, no compression, no proxy.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0,
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// discover reads the discovery document of cfg.issuer.
func discover(cfg *oidcConfig) error {
	resp, body, err := doHTTP(cfg.client, mustRequest(http.MethodGet, discoveryURL(cfg.issuer), nil), nil)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery: %s", httpErrorText(resp, body))
	}
	if err := json.Unmarshal(body, &cfg.meta); err != nil {
		return fmt.Errorf("discovery: %s is not a JSON document: %w", discoveryURL(cfg.issuer), err)
	}
	m := &cfg.meta
	if strings.TrimSuffix(m.Issuer, "/") != cfg.issuer {
		return fmt.Errorf("discovery: the document names the issuer %q, not %q", m.Issuer, cfg.issuer)
	}
	need := map[string]string{"jwks_uri": m.JWKSURI}
	switch cfg.workload.name {
	case "token-cc":
		need["token_endpoint"] = m.TokenEndpoint
	case "flow", "token-refresh":
		need["token_endpoint"], need["authorization_endpoint"] = m.TokenEndpoint, m.AuthorizationEndpoint
	case "userinfo":
		need["token_endpoint"], need["authorization_endpoint"] = m.TokenEndpoint, m.AuthorizationEndpoint
		need["userinfo_endpoint"] = m.UserinfoEndpoint
	}
	for k, v := range need {
		if v == "" {
			return fmt.Errorf("discovery: the document has no %s", k)
		}
	}
	return nil
}

func discoveryURL(issuer string) string { return issuer + "/.well-known/openid-configuration" }

func mustRequest(method, target string, body []byte) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		panic(err) // targets come from validated URLs
	}
	return req
}

// doHTTP sends req and reads the whole response body into buf (reused
// when not nil).
func doHTTP(c *http.Client, req *http.Request, buf *bytes.Buffer) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if buf == nil {
		buf = &bytes.Buffer{}
	}
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return resp, nil, fmt.Errorf("%s %s: reading the response: %w", req.Method, req.URL.Path, err)
	}
	return resp, buf.Bytes(), nil
}

// httpErrorText describes an unexpected response: status, and the OAuth
// error of a JSON body or the start of the body.
func httpErrorText(resp *http.Response, body []byte) string {
	what := fmt.Sprintf("%s %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status)
	var oe struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
		return fmt.Sprintf("%s: %s: %s", what, oe.Error, shorten(oe.Description, 120))
	}
	if t := pageTitle(body); t != "" {
		return fmt.Sprintf("%s: page %q", what, t)
	}
	if len(body) > 0 {
		return fmt.Sprintf("%s: %s", what, shorten(string(body), 120))
	}
	return what
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// oidcWorker is one worker: its browser (cookie jar), tokens and
// measurements; one goroutine owns it.
type oidcWorker struct {
	cfg     *oidcConfig
	id      int
	browser *http.Client
	lean    *leanHTTP // nil with --http-client std
	buf     bytes.Buffer
	// refreshToken is the token token-refresh presents next; accessToken
	// is what userinfo presents.
	refreshToken, accessToken string
	hist                      histogram
	errors                    int64
	errSamples                map[string]int64
}

// tokenResponse is a token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	TokenType    string `json:"token_type"`
}

// send sends a plain request (no cookies, no redirects) with the
// worker's lean client, or net/http's.
func (w *oidcWorker) send(req *http.Request) (*http.Response, []byte, error) {
	if w.lean != nil {
		resp, body, err := w.lean.do(req, &w.buf)
		if !errors.Is(err, errNotLean) {
			return resp, body, err
		}
	}
	return doHTTP(w.cfg.client, req, &w.buf)
}

// tokenRequest posts form to the token endpoint with client_secret_basic.
func (w *oidcWorker) tokenRequest(form url.Values) (tokenResponse, error) {
	req := mustRequest(http.MethodPost, w.cfg.meta.TokenEndpoint, []byte(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 section 2.3.1: form-urlencode the id and secret first.
	req.SetBasicAuth(url.QueryEscape(w.cfg.clientID), url.QueryEscape(w.cfg.clientSecret))
	resp, body, err := w.send(req)
	if err != nil {
		return tokenResponse{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return tokenResponse{}, errors.New(httpErrorText(resp, body))
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return tr, fmt.Errorf("token response: %w", err)
	}
	if tr.AccessToken == "" {
		return tr, errors.New("token response without access_token")
	}
	return tr, nil
}

func opTokenCC(w *oidcWorker) error {
	form := url.Values{"grant_type": {"client_credentials"}}
	if w.cfg.ccScope != "" {
		form.Set("scope", w.cfg.ccScope)
	}
	_, err := w.tokenRequest(form)
	return err
}

func opTokenRefresh(w *oidcWorker) error {
	if w.refreshToken == "" {
		// The last exchange failed and may have used the token up: start
		// a new family with a code flow (within this operation's time).
		tr, err := w.codeFlow(false)
		if err != nil {
			return err
		}
		if tr.RefreshToken == "" {
			return errors.New("the code flow returned no refresh_token (is the refresh_token grant allowed, offline_access needed?)")
		}
		w.refreshToken = tr.RefreshToken
	}
	tr, err := w.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.refreshToken}})
	if err != nil {
		w.refreshToken = ""
		return err
	}
	if tr.RefreshToken != "" {
		w.refreshToken = tr.RefreshToken
	}
	return nil
}

func opFlow(w *oidcWorker) error {
	_, err := w.codeFlow(false)
	return err
}

func opUserinfo(w *oidcWorker) error {
	req := mustRequest(http.MethodGet, w.cfg.meta.UserinfoEndpoint, nil)
	req.Header.Set("Authorization", "Bearer "+w.accessToken)
	req.Header.Set("Accept", "application/json")
	resp, body, err := w.send(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(httpErrorText(resp, body))
	}
	if !bytes.Contains(body, []byte(`"sub"`)) {
		return fmt.Errorf("userinfo: no sub claim in %s", shorten(string(body), 120))
	}
	return nil
}

// getOK fetches target and checks for a 200 with a JSON object.
func (w *oidcWorker) getOK(target string) error {
	req := mustRequest(http.MethodGet, target, nil)
	resp, body, err := w.send(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(httpErrorText(resp, body))
	}
	if len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		return fmt.Errorf("GET %s: not a JSON object", req.URL.Path)
	}
	return nil
}

func opDiscovery(w *oidcWorker) error { return w.getOK(discoveryURL(w.cfg.issuer)) }

func opJWKS(w *oidcWorker) error { return w.getOK(w.cfg.meta.JWKSURI) }

// randomToken returns n random bytes in base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// codeFlow runs an authorization code flow with PKCE in the worker's
// browser and exchanges the code. interactive lets it fill sign-in and
// consent pages; otherwise a page is an error.
func (w *oidcWorker) codeFlow(interactive bool) (tokenResponse, error) {
	verifier := randomToken(32)
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := randomToken(12), randomToken(12)
	q := url.Values{
		"response_type": {"code"}, "client_id": {w.cfg.clientID}, "redirect_uri": {w.cfg.redirectURI},
		"scope": {w.cfg.scope}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	target := w.cfg.meta.AuthorizationEndpoint
	if strings.Contains(target, "?") {
		target += "&" + q.Encode()
	} else {
		target += "?" + q.Encode()
	}
	cb, err := w.authorize(target, interactive)
	if err != nil {
		return tokenResponse{}, err
	}
	cq := cb.Query()
	if e := cq.Get("error"); e != "" {
		return tokenResponse{}, fmt.Errorf("authorization: %s: %s", e, shorten(cq.Get("error_description"), 120))
	}
	if cq.Get("state") != state {
		return tokenResponse{}, errors.New("authorization: the redirect carries another state")
	}
	code := cq.Get("code")
	if code == "" {
		return tokenResponse{}, errors.New("authorization: the redirect carries no code")
	}
	tr, err := w.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {w.cfg.redirectURI}, "code_verifier": {verifier}})
	if err != nil {
		return tr, err
	}
	if tr.IDToken == "" && strings.Contains(" "+w.cfg.scope+" ", " openid ") {
		return tr, errors.New("token response without id_token for an openid scope")
	}
	return tr, nil
}

// maxSteps bounds the requests of one authorization (redirects and
// pages).
const maxSteps = 20

// authorize follows redirects from target until one leads to the
// redirect URI, and returns that URL. With interactive, pages are
// answered (sign-in, consent).
func (w *oidcWorker) authorize(target string, interactive bool) (*url.URL, error) {
	req := mustRequest(http.MethodGet, target, nil)
	forms := 0
	for range maxSteps {
		req.Header.Set("Accept", "text/html")
		resp, body, err := doHTTP(w.browser, req, &w.buf)
		if err != nil {
			return nil, err
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			u, err := resp.Request.URL.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("authorization: bad Location %q", loc)
			}
			if w.isRedirectURI(u) {
				return u, nil
			}
			req = mustRequest(http.MethodGet, u.String(), nil)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("authorization: %s", httpErrorText(resp, body))
		}
		if !interactive {
			return nil, fmt.Errorf("authorization: %s %s showed a page (%q) instead of redirecting (session lost?)",
				resp.Request.Method, resp.Request.URL.Path, pageTitle(body))
		}
		if forms++; forms > 4 {
			return nil, fmt.Errorf("authorization: still a page after %d forms (%q): wrong --user or --password?", forms-1, pageTitle(body))
		}
		next, err := w.answerPage(resp.Request.URL, body)
		if err != nil {
			return nil, err
		}
		req = next
	}
	return nil, fmt.Errorf("authorization: more than %d steps", maxSteps)
}

// isRedirectURI reports whether u points at the client's redirect URI.
func (w *oidcWorker) isRedirectURI(u *url.URL) bool {
	r := w.cfg.redirect
	return strings.EqualFold(u.Scheme, r.Scheme) && strings.EqualFold(u.Host, r.Host) && u.Path == r.Path
}

// answerPage builds the request that answers the page body at pageURL:
// a sign-in form filled with the user's credentials, or an accepted
// consent form.
func (w *oidcWorker) answerPage(pageURL *url.URL, body []byte) (*http.Request, error) {
	f := chooseForm(parseForms(string(body)))
	if f == nil {
		return nil, fmt.Errorf("authorization: %s shows a page (%q) with no sign-in or consent form",
			pageURL.Path, pageTitle(body))
	}
	values := url.Values{}
	for _, in := range f.inputs {
		switch {
		case in.kind == "password":
			values.Add(in.name, w.cfg.password)
		case in.kind != "hidden" && isLoginName(in.name):
			values.Add(in.name, w.cfg.user)
		case in.kind == "checkbox" || in.kind == "radio":
			if in.checked {
				values.Add(in.name, in.value)
			}
		default:
			values.Add(in.name, in.value)
		}
	}
	if f.button != nil && f.button.name != "" {
		values.Add(f.button.name, f.button.value)
	}
	action, err := pageURL.Parse(f.action)
	if err != nil {
		return nil, fmt.Errorf("authorization: form action %q: %w", f.action, err)
	}
	origin := pageURL.Scheme + "://" + pageURL.Host
	var req *http.Request
	if strings.EqualFold(f.method, "get") {
		action.RawQuery = values.Encode()
		req = mustRequest(http.MethodGet, action.String(), nil)
	} else {
		req = mustRequest(http.MethodPost, action.String(), []byte(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Referer", pageURL.String())
	return req, nil
}

// prepare gets the worker ready for its workload: a browser with a
// signed-in session and the tokens of a first code flow when needed.
func (w *oidcWorker) prepare() error {
	if !w.cfg.workload.signIn {
		return nil
	}
	jar, _ := cookiejar.New(nil)
	w.browser = &http.Client{Transport: w.cfg.transport, Jar: jar, CheckRedirect: noRedirect, Timeout: w.cfg.timeout}
	tr, err := w.codeFlow(true)
	if err != nil {
		return fmt.Errorf("signing in as %s: %w", w.cfg.user, err)
	}
	w.accessToken, w.refreshToken = tr.AccessToken, tr.RefreshToken
	if w.cfg.workload.name == "token-refresh" && tr.RefreshToken == "" {
		return errors.New("the code flow returned no refresh_token (does the client have the refresh_token grant? does the provider want offline_access in --scope?)")
	}
	return nil
}

// fail records a failed operation of the measured window.
func (w *oidcWorker) fail(err error) {
	w.errors++
	msg := err.Error()
	if _, ok := w.errSamples[msg]; ok || len(w.errSamples) < maxErrSamples {
		w.errSamples[msg]++
	}
}

// measureOIDC runs cfg's workload: discovery, preparation and one checked
// operation per worker, warm-up, measured window (or --count operations).
func measureOIDC(ctx context.Context, cfg *oidcConfig, stderr io.Writer) (*result, error) {
	cfg.transport = newTransport(cfg.concurrency)
	defer cfg.transport.CloseIdleConnections()
	cfg.client = &http.Client{Transport: cfg.transport, CheckRedirect: noRedirect, Timeout: cfg.timeout}
	if err := discover(cfg); err != nil {
		return nil, err
	}
	workers := make([]*oidcWorker, cfg.concurrency)
	prepErr := make([]error, cfg.concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &oidcWorker{cfg: cfg, id: i, errSamples: map[string]int64{}}
		if cfg.httpClient == "lean" {
			w.lean = &leanHTTP{timeout: cfg.timeout}
			defer w.lean.close()
		}
		workers[i] = w
		wg.Go(func() {
			if err := w.prepare(); err != nil {
				prepErr[i] = fmt.Errorf("worker %d: %w", i+1, err)
				return
			}
			if err := cfg.workload.op(w); err != nil {
				prepErr[i] = fmt.Errorf("worker %d: first %s operation failed: %w", i+1, cfg.workload.name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(prepErr...); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, errInterrupted
	}

	var ph phases
	var started atomic.Int64 // operations begun, in --count mode
	var done atomic.Int64
	if cfg.count > 0 {
		ph.phase.Store(phaseMeasure)
	}
	finished := make(chan struct{})
	var remaining atomic.Int64
	remaining.Store(int64(len(workers)))
	for _, w := range workers {
		wg.Go(func() {
			defer func() {
				if remaining.Add(-1) == 0 {
					close(finished)
				}
			}()
			for {
				p := ph.phase.Load()
				if p == phaseStop {
					return
				}
				if cfg.count > 0 && started.Add(1) > cfg.count {
					return
				}
				start := time.Now()
				err := cfg.workload.op(w)
				ph.outcome(p, err, time.Since(start), &w.hist, w.fail)
				done.Add(1)
			}
		})
	}
	stop := func() { ph.phase.Store(phaseStop); wg.Wait() }

	if cfg.count > 0 {
		before, err := sampleCPU(cfg.pids)
		if err != nil {
			stop()
			return nil, err
		}
		completed := waitCount(ctx, cfg, finished, &done)
		after, err := sampleCPU(cfg.pids)
		stop()
		if err != nil {
			return nil, err
		}
		res := summarizeOIDC(cfg, workers, before, after)
		res.Interrupted = !completed
		if !completed {
			return res, errInterrupted
		}
		return res, nil
	}

	before, after, completed, err := ph.warmAndMeasure(ctx, cfg.warmup, cfg.duration, cfg.pids, stop)
	if err != nil {
		return nil, err
	}
	res := summarizeOIDC(cfg, workers, before, after)
	res.Interrupted = !completed
	if !completed {
		fmt.Fprintln(stderr, "canaille-bench: interrupted, the figures cover the part measured")
		return res, errInterrupted
	}
	return res, nil
}

// waitCount waits for the --count operations, printing progress; it
// reports whether they all ran.
func waitCount(ctx context.Context, cfg *oidcConfig, finished <-chan struct{}, done *atomic.Int64) bool {
	tick := time.NewTicker(cfg.progressEvery)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-finished:
			return true
		case <-ctx.Done():
			return false
		case <-tick.C:
			n := done.Load()
			fmt.Fprintf(cfg.progress, "  %d of %d operations (%.0f/s)\n", n, cfg.count, float64(n)/time.Since(start).Seconds())
		}
	}
}

// summarizeOIDC merges the workers' measurements into a result, in the
// form that 'table' reads.
func summarizeOIDC(cfg *oidcConfig, workers []*oidcWorker, before, after cpuSample) *result {
	var h histogram
	var errs int64
	samples := map[string]int64{}
	for _, w := range workers {
		h.merge(&w.hist)
		errs += w.errors
		for m, n := range w.errSamples {
			samples[m] += n
		}
	}
	secs := after.at.Sub(before.at).Seconds()
	name := cfg.workload.name
	if cfg.variant != "" {
		name += " (" + cfg.variant + ")"
	}
	res := &result{
		Label: cfg.label, URL: cfg.issuer, Workload: name, Concurrency: cfg.concurrency,
		Seconds: secs, Ops: h.total, Errors: errs, OpsPerSec: float64(h.total) / secs,
		MeanUS: us(h.mean()), P50US: us(h.quantile(0.50)), P90US: us(h.quantile(0.90)),
		P99US: us(h.quantile(0.99)), MaxUS: us(time.Duration(h.max)), PIDs: cfg.pids,
	}
	if ops := h.total + uint64(errs); ops > 0 {
		res.ClientUSOp = us(after.self-before.self) / float64(ops)
	}
	res.addServer(cfg.pids, before, after, secs, h.total)
	res.addErrors(samples)
	return res
}

// printOIDCResult writes the human-readable report of r.
func printOIDCResult(w io.Writer, r *result) {
	fmt.Fprintf(w, "%s on %s: concurrency %d, %.1f s measured\n", r.Workload, r.Label, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "  throughput  %.0f ops/s (%d operations, %d errors)\n", r.OpsPerSec, r.Ops, r.Errors)
	fmt.Fprintf(w, "  latency     p50 %s  p90 %s  p99 %s  max %s  mean %s\n",
		fmtUS(r.P50US), fmtUS(r.P90US), fmtUS(r.P99US), fmtUS(r.MaxUS), fmtUS(r.MeanUS))
	if r.CPUPercent != nil {
		perOp := "n/a"
		if r.CPUUSPerOp != nil {
			perOp = fmt.Sprintf("%.1f µs/op", *r.CPUUSPerOp)
		}
		fmt.Fprintf(w, "  server CPU  %s (%.0f %% of one core), RSS %.1f MB (peak %.1f MB), pid %v\n",
			perOp, *r.CPUPercent, *r.RSSMB, *r.PeakRSSMB, r.PIDs)
	}
	fmt.Fprintf(w, "  client CPU  %.1f µs/op (this tool)\n", r.ClientUSOp)
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "  error       %s\n", e)
	}
}
