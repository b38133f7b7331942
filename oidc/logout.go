package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/canaille-go/canaille/store"
)

// LogoutRequest is a validated RP-initiated logout request (OpenID
// Connect RP-Initiated Logout 1.0).
type LogoutRequest struct {
	// Client is the client that sent the user, when known.
	Client *store.Client
	// Subject and SessionID come from a valid id_token_hint.
	Subject, SessionID string
	// HintValid reports whether an id_token_hint was given and verified.
	HintValid bool
	// LogoutHint is the logout_hint parameter.
	LogoutHint string
	// RedirectURI is the registered post_logout_redirect_uri to send the
	// user to afterwards, with the state added; "" when none was asked.
	RedirectURI string
}

// ParseLogout validates the parameters of /oauth/end_session. The
// id_token_hint may have expired but must have been signed by one of our
// keys for us; a post_logout_redirect_uri must be one the client
// registered, exactly.
func (p *Provider) ParseLogout(ctx context.Context, form url.Values) (*LogoutRequest, error) {
	lr := &LogoutRequest{LogoutHint: form.Get("logout_hint")}
	clientID := form.Get("client_id")
	if hint := form.Get("id_token_hint"); hint != "" {
		claims, err := p.verifyHint(ctx, hint)
		if err != nil {
			return nil, fosite.ErrInvalidRequest.WithHint("The id_token_hint is not a valid ID token of this provider.")
		}
		lr.HintValid = true
		lr.Subject, _ = claims["sub"].(string)
		lr.SessionID, _ = claims["sid"].(string)
		aud := audience(claims)
		if clientID != "" && !slices.Contains(aud, clientID) {
			return nil, fosite.ErrInvalidRequest.WithHint("The client_id does not match the id_token_hint.")
		}
		if clientID == "" && len(aud) > 0 {
			clientID = aud[0]
		}
	}
	if clientID != "" {
		c, err := p.st.GetClient(ctx, clientID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, fosite.ErrInvalidRequest.WithHint("Unknown client.")
			}
			return nil, err
		}
		lr.Client = &c
	}
	if uri := form.Get("post_logout_redirect_uri"); uri != "" {
		if lr.Client == nil {
			return nil, fosite.ErrInvalidRequest.WithHint("post_logout_redirect_uri needs a client_id or an id_token_hint.")
		}
		if !slices.Contains(lr.Client.PostLogoutRedirectURIs, uri) {
			return nil, fosite.ErrInvalidRequest.WithHint("The post_logout_redirect_uri is not registered for this client.")
		}
		u, err := url.Parse(uri)
		if err != nil {
			return nil, fosite.ErrInvalidRequest.WithHint("The post_logout_redirect_uri is not a URL.")
		}
		if st := form.Get("state"); st != "" {
			q := u.Query()
			q.Set("state", st)
			u.RawQuery = q.Encode()
		}
		lr.RedirectURI = u.String()
	}
	return lr, nil
}

// verifyHint checks an ID token we issued; an expired one is accepted.
func (p *Provider) verifyHint(ctx context.Context, raw string) (jwt.MapClaims, error) {
	t, err := p.idSign.Decode(ctx, raw)
	if err != nil {
		var ve *jwt.ValidationError
		if t == nil || !errors.As(err, &ve) || ve.Errors != jwt.ValidationErrorExpired {
			return nil, err
		}
	}
	if iss, _ := t.Claims["iss"].(string); iss != p.cfg.Issuer {
		return nil, errors.New("foreign issuer")
	}
	return t.Claims, nil
}

func audience(c jwt.MapClaims) []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// Subject returns the sub claim the provider gives u.
func (p *Provider) Subject(u *store.User) string { return p.subject(u) }

// backchannelEvent is the event of a logout token.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// LoggedOut tells the clients that registered a backchannel_logout_uri
// and hold tokens of the user that the user signed out (of the browser
// session sessionID, or everywhere when it is ""). The notifications are
// sent in the background; their failures are logged.
func (p *Provider) LoggedOut(ctx context.Context, u *store.User, sessionID string) {
	toks, err := p.st.ListTokens(ctx, store.TokenQuery{Subject: u.ID, Active: true, ActiveAt: p.now()})
	if err != nil {
		p.log.Error("back-channel logout: listing tokens", "error", err)
		return
	}
	clients := map[string]bool{}
	for _, t := range toks {
		if sessionID != "" && tokenSession(t) != sessionID {
			continue
		}
		clients[t.ClientID] = true
	}
	sub := p.subject(u)
	for id := range clients {
		c, err := p.st.GetClient(ctx, id)
		if err != nil || c.BackchannelLogoutURI == "" {
			continue
		}
		go p.notifyLogout(c, sub, sessionID)
	}
}

// tokenSession returns the browser session a token was issued under.
func tokenSession(t store.Token) string {
	var sr storedRequest
	if json.Unmarshal(t.Data, &sr) != nil {
		return ""
	}
	var s struct {
		SID string `json:"sid"`
	}
	_ = json.Unmarshal(sr.Session, &s)
	return s.SID
}

func (p *Provider) notifyLogout(c store.Client, sub, sid string) {
	now := p.now()
	claims := jwt.MapClaims{
		"iss": p.cfg.Issuer, "aud": c.ID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": store.NewSecret(), "sub": sub,
		"events": map[string]any{backchannelEvent: map[string]any{}},
	}
	if sid != "" {
		claims["sid"] = sid
	}
	tok, _, err := (&signer{keys: p.cfg.Keys, typ: "logout+jwt"}).Generate(context.Background(), claims, &jwt.Headers{})
	if err != nil {
		p.log.Error("back-channel logout: signing", "client", c.ID, "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BackchannelLogoutURI,
		strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		p.log.Warn("back-channel logout", "client", c.ID, "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		p.log.Warn("back-channel logout failed", "client", c.ID, "error", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		p.log.Warn("back-channel logout refused", "client", c.ID, "status", resp.StatusCode)
		return
	}
	p.log.Info("back-channel logout sent", "client", c.ID)
}
