package ui

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The OpenID Connect client pages (/admin/client) and the token pages
// (/admin/token, admin_clients_tokens.go), for users with manage_oidc. They
// answer 404 when the provider is not served. A client's metadata is
// checked with the rules of dynamic registration (oidc.Provider.CheckClient),
// with an administrator's latitude (password grant, any scope). Secrets are
// kept as digests: a new secret is shown once, on the page that answers its
// creation.

func (a *App) clientAdminRoutes() {
	get, post := http.MethodGet, http.MethodPost
	a.page(get, "/admin/client", a.clientsPage)
	a.page(get, "/admin/client/add", a.clientAddPage)
	a.page(post, "/admin/client/add", a.clientAddSubmit)
	a.page(get, "/admin/client/edit/:client", a.clientEditPage)
	a.page(post, "/admin/client/edit/:client", a.clientEditSubmit)
	a.page(get, "/admin/token", a.tokensPage)
	a.page(get, "/admin/token/:token", a.tokenPage)
	a.page(post, "/admin/token/:token", a.tokenSubmit)
}

// requireOIDCAdmin answers 404 when OpenID Connect is off, else checks
// manage_oidc.
func (c *ctx) requireOIDCAdmin() error {
	if c.a.cfg.OIDC == nil {
		return errDisabled
	}
	return c.require(acl.ManageOIDC)
}

func clientURL(id string) string { return "/admin/client/edit/" + url.PathEscape(id) }

// clientField describes one metadata field of the client form.
type clientField struct {
	Name    string   // the metadata name, also the form field's
	Kind    string   // text, url, lines, words, select, checks, check, number, json, datetime
	Options []string // select and checks
	Help    bool     // a message client_help_<Name> explains it
}

// Checked reports whether the checkbox of value v is ticked in f.
func (fl clientField) Checked(f *form, v string) bool { return slices.Contains(f.Lists[fl.Name], v) }

// clientSection is a group of fields of the form.
type clientSection struct {
	Title  string
	Open   bool
	Fields []clientField
}

// clientSections lays out the form for cl (nil for a new client); the
// algorithm choices come from the provider, and a value of cl that is not
// among the usual choices (a grant type set from the command line, an
// algorithm of a former key) is kept among them.
func (a *App) clientSections(cl *store.Client) []clientSection {
	edit := cl != nil
	out := a.clientLayout(edit)
	if cl == nil {
		return out
	}
	strs, lists := clientStrings(cl), clientLists(cl)
	for i := range out {
		for j := range out[i].Fields {
			fl := &out[i].Fields[j]
			switch fl.Kind {
			case "select":
				if v := *strs[fl.Name]; !slices.Contains(fl.Options, v) {
					fl.Options = append(slices.Clone(fl.Options), v)
				}
			case "checks":
				for _, v := range *lists[fl.Name] {
					if !slices.Contains(fl.Options, v) {
						fl.Options = append(slices.Clone(fl.Options), v)
					}
				}
			}
		}
	}
	return out
}

func (a *App) clientLayout(edit bool) []clientSection {
	algs := a.cfg.OIDC.Keys().Algorithms()
	auth := []clientSection{{Title: "client_section_auth", Fields: []clientField{
		{Name: "token_endpoint_auth_method", Kind: "select", Help: true,
			Options: []string{store.AuthMethodBasic, store.AuthMethodPost, store.AuthMethodPrivateKeyJWT, store.AuthMethodNone}},
		{Name: "token_endpoint_auth_signing_alg", Kind: "select", Options: append([]string{""}, oidc.ClientAssertionAlgorithms()...)},
		{Name: "jwks_uri", Kind: "url"},
		{Name: "jwks", Kind: "json", Help: true},
		{Name: "require_pkce", Kind: "check", Help: true},
	}}}
	if edit {
		auth[0].Fields = append(auth[0].Fields, clientField{Name: "client_secret_expires_at", Kind: "datetime", Help: true})
	}
	out := []clientSection{
		{Title: "client_section_general", Open: true, Fields: []clientField{
			{Name: "client_name", Kind: "text"},
			{Name: "description", Kind: "text"},
			{Name: "client_uri", Kind: "url", Help: true},
			{Name: "logo_uri", Kind: "url"},
			{Name: "tos_uri", Kind: "url"},
			{Name: "policy_uri", Kind: "url"},
			{Name: "contacts", Kind: "lines", Help: true},
			{Name: "software_id", Kind: "text"},
			{Name: "software_version", Kind: "text"},
		}},
		{Title: "client_section_redirects", Open: true, Fields: []clientField{
			{Name: "redirect_uris", Kind: "lines", Help: true},
			{Name: "post_logout_redirect_uris", Kind: "lines", Help: true},
			{Name: "backchannel_logout_uri", Kind: "url", Help: true},
			{Name: "initiate_login_uri", Kind: "url"},
		}},
		{Title: "client_section_grants", Open: true, Fields: []clientField{
			{Name: "grant_types", Kind: "checks", Options: oidc.AdminGrantTypes, Help: true},
			{Name: "response_types", Kind: "checks", Options: oidc.ResponseTypes()},
			{Name: "scope", Kind: "words", Help: true},
			{Name: "audience", Kind: "words", Help: true},
			{Name: "application_type", Kind: "select", Options: []string{"web", "native"}, Help: true},
		}},
	}
	out = append(out, auth...)
	out = append(out,
		clientSection{Title: "client_section_tokens", Fields: []clientField{
			{Name: "id_token_signed_response_alg", Kind: "select", Options: append([]string{""}, algs...)},
			{Name: "userinfo_signed_response_alg", Kind: "select", Options: append([]string{"", "none"}, algs...), Help: true},
			{Name: "subject_type", Kind: "select", Options: []string{"", "public"}},
			{Name: "default_max_age", Kind: "number", Help: true},
			{Name: "require_auth_time", Kind: "check"},
			{Name: "default_acr_values", Kind: "words"},
		}},
		clientSection{Title: "client_section_requests", Fields: []clientField{
			{Name: "request_object_signing_alg", Kind: "select", Options: append([]string{""}, oidc.RequestObjectAlgorithms()...)},
			{Name: "require_signed_request_object", Kind: "check"},
			{Name: "request_uris", Kind: "lines"},
			{Name: "sector_identifier_uri", Kind: "url"},
		}})
	return out
}

// clientStrings binds the single-valued text fields to the model.
func clientStrings(cl *store.Client) map[string]*string {
	return map[string]*string{
		"client_name": &cl.ClientName, "description": &cl.Description, "client_uri": &cl.ClientURI,
		"logo_uri": &cl.LogoURI, "tos_uri": &cl.TOSURI, "policy_uri": &cl.PolicyURI,
		"software_id": &cl.SoftwareID, "software_version": &cl.SoftwareVersion,
		"backchannel_logout_uri": &cl.BackchannelLogoutURI, "initiate_login_uri": &cl.InitiateLoginURI,
		"application_type": &cl.ApplicationType, "token_endpoint_auth_method": &cl.TokenEndpointAuthMethod,
		"token_endpoint_auth_signing_alg": &cl.TokenEndpointAuthSigningAlg, "jwks_uri": &cl.JWKSURI,
		"jwks": &cl.JWKS, "id_token_signed_response_alg": &cl.IDTokenSignedResponseAlg,
		"userinfo_signed_response_alg": &cl.UserinfoSignedResponseAlg, "subject_type": &cl.SubjectType,
		"request_object_signing_alg": &cl.RequestObjectSigningAlg, "sector_identifier_uri": &cl.SectorIdentifierURI,
	}
}

// clientLists binds the multi-valued fields to the model.
func clientLists(cl *store.Client) map[string]*[]string {
	return map[string]*[]string{
		"redirect_uris": &cl.RedirectURIs, "post_logout_redirect_uris": &cl.PostLogoutRedirectURIs,
		"contacts": &cl.Contacts, "request_uris": &cl.RequestURIs, "grant_types": &cl.GrantTypes,
		"response_types": &cl.ResponseTypes, "scope": &cl.Scope, "audience": &cl.Audience,
		"default_acr_values": &cl.DefaultACRValues,
	}
}

func clientBools(cl *store.Client) map[string]*bool {
	return map[string]*bool{"require_pkce": &cl.RequirePKCE, "require_auth_time": &cl.RequireAuthTime,
		"require_signed_request_object": &cl.RequireSignedRequestObject}
}

const datetimeLayout = "2006-01-02T15:04"

// clientForm fills a form with the metadata of cl.
func clientForm(cl *store.Client, sections []clientSection) *form {
	f := newForm()
	strs, lists, bools := clientStrings(cl), clientLists(cl), clientBools(cl)
	for _, s := range sections {
		for _, fl := range s.Fields {
			switch fl.Kind {
			case "lines":
				f.Values[fl.Name] = strings.Join(*lists[fl.Name], "\n")
			case "words":
				f.Values[fl.Name] = strings.Join(*lists[fl.Name], " ")
			case "checks":
				f.Lists[fl.Name] = slices.Clone(*lists[fl.Name])
			case "check":
				if *bools[fl.Name] {
					f.Values[fl.Name] = "1"
				}
			case "number":
				if cl.DefaultMaxAge != 0 {
					f.Values[fl.Name] = strconv.Itoa(cl.DefaultMaxAge)
				}
			case "datetime":
				if !cl.ClientSecretExpiresAt.IsZero() {
					f.Values[fl.Name] = cl.ClientSecretExpiresAt.UTC().Format(datetimeLayout)
				}
			default:
				f.Values[fl.Name] = *strs[fl.Name]
			}
		}
	}
	if cl.AllowPasswordGrant && !slices.Contains(f.Lists["grant_types"], "password") {
		f.Lists["grant_types"] = append(f.Lists["grant_types"], "password")
	}
	return f
}

// readClient reads the form into cl (whose other fields are kept), and
// records in f what was typed and the errors of syntax.
func (c *ctx) readClient(f *form, cl *store.Client, sections []clientSection) {
	strs, lists, bools := clientStrings(cl), clientLists(cl), clientBools(cl)
	for _, s := range sections {
		for _, fl := range s.Fields {
			raw := c.form(fl.Name)
			if fl.Kind != "checks" {
				f.Values[fl.Name] = raw
			}
			switch fl.Kind {
			case "lines":
				*lists[fl.Name] = splitLines(raw)
			case "words":
				*lists[fl.Name] = strings.Fields(raw)
			case "checks":
				var picked []string
				for _, v := range c.r.PostForm[fl.Name] {
					if slices.Contains(fl.Options, v) || slices.Contains(*lists[fl.Name], v) {
						picked = append(picked, v)
					}
				}
				f.Lists[fl.Name] = picked
				*lists[fl.Name] = picked
			case "check":
				*bools[fl.Name] = raw != ""
			case "number":
				cl.DefaultMaxAge = 0
				if raw != "" {
					n, err := strconv.Atoi(raw)
					if err != nil || n < 0 {
						c.fieldError(f, fl.Name, "client_number_invalid")
					} else {
						cl.DefaultMaxAge = n
					}
				}
			case "datetime":
				cl.ClientSecretExpiresAt = time.Time{}
				if raw != "" {
					t, err := time.ParseInLocation(datetimeLayout, raw, time.UTC)
					if err != nil {
						c.fieldError(f, fl.Name, "client_date_invalid")
					} else {
						cl.ClientSecretExpiresAt = t
					}
				}
			case "select":
				if !slices.Contains(fl.Options, raw) && raw != *strs[fl.Name] {
					c.fieldError(f, fl.Name, "client_choice_invalid")
				}
				*strs[fl.Name] = raw
			default:
				*strs[fl.Name] = raw
			}
		}
	}
	// The password grant needs both the grant type and the flag.
	cl.AllowPasswordGrant = slices.Contains(cl.GrantTypes, "password")
}

// splitLines returns the non-empty trimmed lines of s.
func splitLines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

var indexedField = regexp.MustCompile(`^([a-z_]+)\[(\d+)\]`)

// clientErrors shows the problems found by CheckClient beside their
// fields; those of no field of the form go in general.
func (c *ctx) clientErrors(f *form, err error, sections []clientSection, general *[]string) bool {
	var ves store.ValidationErrors
	if !errors.As(err, &ves) {
		return false
	}
	known := map[string]bool{"client_id": true}
	for _, s := range sections {
		for _, fl := range s.Fields {
			known[fl.Name] = true
		}
	}
	for _, e := range ves {
		field, line := e.Field, 0
		if m := indexedField.FindStringSubmatch(field); m != nil {
			field = m[1]
			line, _ = strconv.Atoi(m[2])
			line++
		}
		if !known[field] {
			*general = append(*general, e.Field+": "+e.Reason)
			continue
		}
		if line > 0 {
			c.fieldError(f, field, "client_invalid_line", "Line", line, "Reason", e.Reason)
		} else {
			c.fieldError(f, field, "error_invalid", "Reason", e.Reason)
		}
	}
	return true
}

// clientRow is a line of the client list.
type clientRow struct {
	Client store.Client
	Name   string
	URL    string
}

func (a *App) clientsPage(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	clients, err := a.st.ListClients(c.r.Context())
	if err != nil {
		return err
	}
	rows := make([]clientRow, 0, len(clients))
	for _, cl := range clients {
		rows = append(rows, clientRow{Client: cl, Name: cmp.Or(cl.ClientName, cl.ID), URL: clientURL(cl.ID)})
	}
	slices.SortFunc(rows, func(x, y clientRow) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), cmp.Compare(x.Client.ID, y.Client.ID))
	})
	c.render(http.StatusOK, "clients", map[string]any{"Clients": rows, "Discovery": a.cfg.OIDC.DiscoveryURL()})
	return nil
}

// newClientDefaults are the settings of a new client: the authorization
// code flow with refresh tokens, openid profile email, client_secret_basic,
// and ID tokens signed with RS256 when the provider signs with it, else
// with its current algorithm.
func (a *App) newClientDefaults() store.Client {
	algs := a.cfg.OIDC.Keys().Algorithms()
	alg := algs[0]
	if slices.Contains(algs, "RS256") {
		alg = "RS256"
	}
	return store.Client{GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scope: []string{"openid", "profile", "email"}, TokenEndpointAuthMethod: store.AuthMethodBasic,
		ApplicationType: "web", IDTokenSignedResponseAlg: alg}
}

func (a *App) clientAddPage(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	sections := a.clientSections(nil)
	def := a.newClientDefaults()
	c.renderForm(http.StatusOK, "client-edit", map[string]any{"Sections": sections, "New": true}, clientForm(&def, sections))
	return nil
}

func (a *App) clientAddSubmit(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	ctx := c.r.Context()
	sections := a.clientSections(nil)
	f := newForm()
	var cl store.Client
	cl.ID = truncate(c.form("client_id"), 300)
	f.Values["client_id"] = cl.ID
	if cl.ID == "" {
		cl.ID = store.NewID()
	} else if _, err := a.st.GetClient(ctx, cl.ID); err == nil {
		c.fieldError(f, "client_id", "client_id_taken")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.readClient(f, &cl, sections)
	var general []string
	if !f.HasErrors() {
		if err := a.cfg.OIDC.CheckClient(ctx, &cl); err != nil && !c.clientErrors(f, err, sections, &general) {
			return err
		}
	}
	if !f.HasErrors() && len(general) == 0 {
		secret := ""
		if needsSecret(cl.TokenEndpointAuthMethod) {
			secret = store.NewSecret()
		}
		cl.SetSecret(secret)
		created, err := a.st.CreateClient(ctx, cl)
		switch {
		case errors.Is(err, store.ErrExists):
			c.fieldError(f, "client_id", "client_id_taken")
		case err != nil:
			if !c.clientErrors(f, err, sections, &general) {
				return err
			}
		default:
			a.cfg.OIDC.ClientChanged()
			c.audit(auditEvent{Action: "client.create", TargetKind: "client", Target: created.ID,
				Details: map[string]string{"client_name": created.ClientName, "grant_types": strings.Join(created.GrantTypes, " "),
					"auth_method": created.TokenEndpointAuthMethod}})
			return a.showClientSecret(c, &created, secret, "client_created")
		}
	}
	c.renderForm(http.StatusUnprocessableEntity, "client-edit", map[string]any{"Sections": sections, "New": true,
		"General": general}, f)
	return nil
}

// needsSecret reports whether an authentication method uses a secret.
func needsSecret(method string) bool {
	return method == store.AuthMethodBasic || method == store.AuthMethodPost
}

// loadClient finds the client of the URL.
func (c *ctx) loadClient() (store.Client, error) {
	cl, err := c.a.st.GetClient(c.r.Context(), c.p.ByName("client"))
	if errors.Is(err, store.ErrNotFound) {
		return cl, errNotFound
	}
	return cl, err
}

// clientEditData is the data of a client's page.
func (a *App) clientEditData(c *ctx, cl *store.Client, sections []clientSection) map[string]any {
	return map[string]any{"Sections": sections, "Client": cl, "URL": clientURL(cl.ID),
		"Discovery": a.cfg.OIDC.DiscoveryURL(), "Issuer": a.cfg.OIDC.Issuer(),
		"Snippets": a.clientSnippets(cl, ""), "SecretExpired": !cl.ClientSecretExpiresAt.IsZero() && !c.now.Before(cl.ClientSecretExpiresAt),
		"UsesSecret": needsSecret(cl.TokenEndpointAuthMethod), "TokensURL": "/admin/token?" + url.Values{"client": {cl.ID}}.Encode()}
}

func (a *App) clientEditPage(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	cl, err := c.loadClient()
	if err != nil {
		return err
	}
	sections := a.clientSections(&cl)
	c.renderForm(http.StatusOK, "client-edit", a.clientEditData(c, &cl, sections), clientForm(&cl, sections))
	return nil
}

// clientEditSubmit runs one action of a client's page: save, renew the
// secret, issue a registration access token, delete (after a
// confirmation).
func (a *App) clientEditSubmit(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	cl, err := c.loadClient()
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	switch c.form("action") {
	case "save":
		return a.clientSave(c, &cl)
	case "renew_secret":
		if !needsSecret(cl.TokenEndpointAuthMethod) {
			return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
		}
		secret := store.NewSecret()
		updated, err := a.st.UpdateClient(ctx, cl.ID, func(cur *store.Client) error {
			cur.SetSecret(secret)
			if !cur.ClientSecretExpiresAt.IsZero() && !c.now.Before(cur.ClientSecretExpiresAt) {
				cur.ClientSecretExpiresAt = time.Time{} // an expired date would make it useless
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.audit(auditEvent{Action: "client.secret_renew", TargetKind: "client", Target: cl.ID})
		return a.showClientSecret(c, &updated, secret, "client_secret_renewed")
	case "management_token":
		token, err := a.cfg.OIDC.ManagementToken(ctx, &cl)
		if err != nil {
			return err
		}
		c.audit(auditEvent{Action: "client.management_token", TargetKind: "client", Target: cl.ID})
		c.render(http.StatusOK, "client-secret", map[string]any{"Client": cl, "URL": clientURL(cl.ID),
			"ManagementToken": token, "RegistrationURI": a.cfg.OIDC.RegistrationClientURI(cl.ID)})
		return nil
	case "delete":
		consents, err := a.st.ListConsents(ctx, "", cl.ID)
		if err != nil {
			return err
		}
		tokens, err := a.st.ListTokens(ctx, store.TokenQuery{ClientID: cl.ID, Active: true, ActiveAt: c.now})
		if err != nil {
			return err
		}
		c.render(http.StatusOK, "client-delete", map[string]any{"Client": cl, "Name": cmp.Or(cl.ClientName, cl.ID),
			"URL": clientURL(cl.ID), "Consents": len(consents), "Tokens": len(tokens)})
		return nil
	case "delete_confirmed":
		if err := a.st.DeleteClient(ctx, cl.ID); err != nil {
			return err
		}
		a.cfg.OIDC.ClientChanged()
		c.audit(auditEvent{Action: "client.delete", TargetKind: "client", Target: cl.ID,
			Details: map[string]string{"client_name": cl.ClientName}})
		c.flash("success", "client_deleted")
		return c.redirect("/admin/client")
	}
	return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
}

// clientSave replaces the metadata of cl with the form's.
func (a *App) clientSave(c *ctx, old *store.Client) error {
	ctx := c.r.Context()
	sections := a.clientSections(old)
	f := newForm()
	next := old.Clone()
	c.readClient(f, &next, sections)
	var general []string
	if !f.HasErrors() {
		if err := a.cfg.OIDC.CheckClient(ctx, &next); err != nil && !c.clientErrors(f, err, sections, &general) {
			return err
		}
	}
	if !f.HasErrors() && len(general) == 0 {
		secret := ""
		updated, err := a.st.UpdateClient(ctx, old.ID, func(cur *store.Client) error {
			n := next.Clone()
			n.ID, n.Created, n.LastModified, n.ClientSecretHash = cur.ID, cur.Created, cur.LastModified, cur.ClientSecretHash
			secret = ""
			switch {
			case !needsSecret(n.TokenEndpointAuthMethod):
				n.SetSecret("")
				n.ClientSecretExpiresAt = time.Time{}
			case n.ClientSecretHash == "":
				// A client that starts authenticating with a secret.
				secret = store.NewSecret()
				n.SetSecret(secret)
			}
			*cur = n
			return nil
		})
		if err == nil {
			a.cfg.OIDC.ClientChanged()
			c.audit(auditEvent{Action: "client.update", TargetKind: "client", Target: updated.ID,
				Details: map[string]string{"fields": strings.Join(changedClientFields(old, &updated, sections), " "),
					"new_secret": strconv.FormatBool(secret != "")}})
			if secret != "" {
				return a.showClientSecret(c, &updated, secret, "client_saved_new_secret")
			}
			c.flash("success", "client_saved")
			return c.redirect(clientURL(updated.ID))
		}
		if !c.clientErrors(f, err, sections, &general) {
			return err
		}
	}
	d := a.clientEditData(c, old, sections)
	d["General"] = general
	c.renderForm(http.StatusUnprocessableEntity, "client-edit", d, f)
	return nil
}

// changedClientFields names the fields whose value changed, for the audit
// log (values are left out: some are long, and the JWKS is not for logs).
func changedClientFields(old, cur *store.Client, sections []clientSection) []string {
	fo, fn := clientForm(old, sections), clientForm(cur, sections)
	var out []string
	for _, s := range sections {
		for _, fl := range s.Fields {
			if fo.Values[fl.Name] != fn.Values[fl.Name] || !slices.Equal(fo.Lists[fl.Name], fn.Lists[fl.Name]) {
				out = append(out, fl.Name)
			}
		}
	}
	return out
}

// showClientSecret shows a new secret, once, with the configuration
// snippets holding it.
func (a *App) showClientSecret(c *ctx, cl *store.Client, secret, msg string) error {
	c.render(http.StatusOK, "client-secret", map[string]any{"Client": cl, "URL": clientURL(cl.ID), "Secret": secret,
		"Message": msg, "Discovery": a.cfg.OIDC.DiscoveryURL(), "Issuer": a.cfg.OIDC.Issuer(),
		"Snippets": a.clientSnippets(cl, secret)})
	return nil
}

// clientSnippet is a ready-to-paste configuration for a relying party.
type clientSnippet struct {
	Title string // message ID
	Text  string
}

// clientSnippets are the settings a relying party needs, for a generic
// OpenID Connect library, oauth2-proxy and Nextcloud's user_oidc app.
// Without the secret a placeholder stands for it.
func (a *App) clientSnippets(cl *store.Client, secret string) []clientSnippet {
	p := a.cfg.OIDC
	if secret == "" && needsSecret(cl.TokenEndpointAuthMethod) {
		secret = "CLIENT_SECRET"
	}
	redirect := firstOf(cl.RedirectURIs)
	scope := strings.Join(cl.Scope, " ")
	if scope == "" {
		scope = "openid profile email"
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			b.WriteString(k + " " + v + "\n")
		}
	}
	line("issuer:                    ", p.Issuer())
	line("discovery_url:             ", p.DiscoveryURL())
	line("client_id:                 ", cl.ID)
	line("client_secret:             ", secret)
	line("redirect_uri:              ", redirect)
	line("scope:                     ", scope)
	line("token_endpoint_auth_method:", cmp.Or(cl.TokenEndpointAuthMethod, store.AuthMethodBasic))
	if cl.Public() || cl.RequirePKCE {
		line("code_challenge_method:     ", "S256")
	}
	out := []clientSnippet{{Title: "client_snippet_generic", Text: b.String()}}

	b.Reset()
	q := strconvQuote
	b.WriteString("provider = \"oidc\"\n")
	b.WriteString("oidc_issuer_url = " + q(p.Issuer()) + "\n")
	b.WriteString("client_id = " + q(cl.ID) + "\n")
	if secret != "" {
		b.WriteString("client_secret = " + q(secret) + "\n")
	}
	if redirect != "" {
		b.WriteString("redirect_url = " + q(redirect) + "\n")
	}
	b.WriteString("scope = " + q(scope) + "\n")
	if cl.Public() || cl.RequirePKCE {
		b.WriteString("code_challenge_method = \"S256\"\n")
	}
	b.WriteString("email_domains = [\"*\"]\n")
	out = append(out, clientSnippet{Title: "client_snippet_oauth2_proxy", Text: b.String()})

	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, a.cfg.Name)
	if name == "" {
		name = "canaille"
	}
	cmd := "php occ user_oidc:provider " + shellQuote(name) + " \\\n  --clientid=" + shellQuote(cl.ID)
	if secret != "" {
		cmd += " \\\n  --clientsecret=" + shellQuote(secret)
	}
	cmd += " \\\n  --discoveryuri=" + shellQuote(p.DiscoveryURL()) + " \\\n  --scope=" + shellQuote(scope) + "\n"
	out = append(out, clientSnippet{Title: "client_snippet_nextcloud", Text: cmd})
	return out
}

// strconvQuote writes a TOML basic string.
func strconvQuote(s string) string { return strconv.Quote(s) }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
