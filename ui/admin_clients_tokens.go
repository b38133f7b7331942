package ui

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
)

// The token pages (/admin/token): the access and refresh tokens issued by
// the provider, filtered by client, user and state, and one token's page
// with its revocation. Only digests of token values are stored: a page
// never shows (nor could show) a token itself.

const tokenPageSize = 50

// Token states of the filter.
const (
	tokenActive  = "active"
	tokenExpired = "expired"
	tokenRevoked = "revoked"
)

// tokenEnd is when a token stops working: the later of its access and
// refresh lifetimes (a record holds one kind of token).
func tokenEnd(t *store.Token) time.Time {
	end := t.ExpiresAt()
	if r := t.RefreshExpiresAt(); r.After(end) {
		end = r
	}
	return end
}

// tokenState is active, expired or revoked at now.
func tokenState(t *store.Token, now time.Time) string {
	switch {
	case t.Revoked():
		return tokenRevoked
	case !now.Before(tokenEnd(t)):
		return tokenExpired
	}
	return tokenActive
}

// tokenRow is a token as the pages show it.
type tokenRow struct {
	Token      store.Token
	State      string
	End        time.Time
	ClientName string
	UserName   string // "" for a client's own token
	URL        string
}

// tokenNames resolves the client and user names of tokens, with caches.
type tokenNames struct {
	c       *ctx
	clients map[string]string
	users   map[string]string
}

func (n *tokenNames) row(t store.Token) tokenRow {
	ctx := n.c.r.Context()
	r := tokenRow{Token: t, State: tokenState(&t, n.c.now), End: tokenEnd(&t), URL: "/admin/token/" + url.PathEscape(t.ID)}
	name, ok := n.clients[t.ClientID]
	if !ok {
		name = t.ClientID
		if cl, err := n.c.a.st.GetClient(ctx, t.ClientID); err == nil {
			name = cmp.Or(cl.ClientName, cl.ID)
		}
		n.clients[t.ClientID] = name
	}
	r.ClientName = name
	if t.Subject != "" {
		user, ok := n.users[t.Subject]
		if !ok {
			user = t.Subject
			if u, err := n.c.a.st.GetUser(ctx, t.Subject); err == nil {
				user = u.UserName
			}
			n.users[t.Subject] = user
		}
		r.UserName = user
	}
	return r
}

func (a *App) tokensPage(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	ctx := c.r.Context()
	qv := c.r.URL.Query()
	clientID := truncate(qv.Get("client"), 300)
	userName := truncate(strings.TrimSpace(qv.Get("user")), 256)
	state := qv.Get("state")
	if state != tokenActive && state != tokenExpired && state != tokenRevoked {
		state = ""
	}
	page, _ := strconv.Atoi(qv.Get("page"))
	page = max(page, 1)
	clients, err := a.st.ListClients(ctx)
	if err != nil {
		return err
	}
	data := map[string]any{"Clients": clients, "Client": clientID, "User": userName, "State": state,
		"States": []string{tokenActive, tokenExpired, tokenRevoked}}
	q := store.TokenQuery{ClientID: clientID}
	if state == tokenActive {
		q.Active, q.ActiveAt = true, c.now
	}
	var tokens []store.Token
	unknownUser := false
	if userName != "" {
		u, err := a.findUser(ctx, userName)
		if errors.Is(err, store.ErrNotFound) {
			unknownUser = true
		} else if err != nil {
			return err
		} else {
			q.Subject = u.ID
		}
	}
	if !unknownUser {
		if tokens, err = a.st.ListTokens(ctx, q); err != nil {
			return err
		}
	}
	data["UnknownUser"] = unknownUser
	names := &tokenNames{c: c, clients: map[string]string{}, users: map[string]string{}}
	var rows []tokenRow
	skip := (page - 1) * tokenPageSize
	total := 0
	for _, t := range tokens {
		if state != "" && tokenState(&t, c.now) != state {
			continue
		}
		total++
		if total <= skip || total > skip+tokenPageSize {
			continue
		}
		rows = append(rows, names.row(t))
	}
	data["Tokens"] = rows
	data["Total"] = total
	link := func(p int) string {
		v := url.Values{}
		for k, x := range map[string]string{"client": clientID, "user": userName, "state": state} {
			if x != "" {
				v.Set(k, x)
			}
		}
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return "/admin/token"
		}
		return "/admin/token?" + v.Encode()
	}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if total > page*tokenPageSize {
		data["Next"] = link(page + 1)
	}
	data["Page"] = page
	c.render(http.StatusOK, "tokens", data)
	return nil
}

// loadToken finds the token of the URL.
func (c *ctx) loadToken() (store.Token, error) {
	t, err := c.a.st.GetToken(c.r.Context(), c.p.ByName("token"))
	if errors.Is(err, store.ErrNotFound) {
		return t, errNotFound
	}
	return t, err
}

func (a *App) tokenPage(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	t, err := c.loadToken()
	if err != nil {
		return err
	}
	names := &tokenNames{c: c, clients: map[string]string{}, users: map[string]string{}}
	row := names.row(t)
	family := 0
	if t.RequestID != "" {
		active, err := a.st.ListTokens(c.r.Context(), store.TokenQuery{RequestID: t.RequestID, Active: true, ActiveAt: c.now})
		if err != nil {
			return err
		}
		family = len(active)
	}
	c.render(http.StatusOK, "token", map[string]any{"Row": &row, "Family": family,
		"ClientURL": clientURL(t.ClientID), "Refresh": t.Type == "refresh_token"})
	return nil
}

// tokenSubmit revokes a token, or every token of its authorization.
func (a *App) tokenSubmit(c *ctx) error {
	if err := c.requireOIDCAdmin(); err != nil {
		return err
	}
	t, err := c.loadToken()
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	ev := auditEvent{TargetKind: "token", Target: t.ID, TargetUserID: t.Subject,
		Details: map[string]string{"client_id": t.ClientID, "type": t.Type}}
	switch c.form("action") {
	case "revoke":
		if !t.Revoked() {
			if _, err := a.st.UpdateToken(ctx, t.ID, func(cur *store.Token) error {
				if cur.RevocationDate.IsZero() {
					cur.RevocationDate = c.now.UTC()
				}
				return nil
			}); err != nil {
				return err
			}
		}
		ev.Action = "token.revoke"
	case "revoke_family":
		if t.RequestID == "" {
			return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
		}
		n, err := a.st.RevokeTokens(ctx, store.TokenQuery{RequestID: t.RequestID}, c.now)
		if err != nil {
			return err
		}
		ev.Action = "token.revoke_authorization"
		ev.Details["tokens_revoked"] = strconv.Itoa(n)
	default:
		return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
	}
	c.audit(ev)
	c.flash("success", "token_revoked")
	return c.redirect("/admin/token/" + url.PathEscape(t.ID))
}
