package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/canaille-go/canaille/oidc"
	"github.com/canaille-go/canaille/store"
)

// retiredKeyLifetime is how long a replaced signing key keeps being
// published and verifying: longer than any token it signed lives.
const retiredKeyLifetime = 7 * 24 * time.Hour

// keyCheckInterval is how often the key file is checked for a rotation.
const keyCheckInterval = 30 * time.Second

// oidcKeys loads the signing key of [CANAILLE_OIDC.JWT] and the retired
// keys recorded in the store, and notices when the key file is replaced:
// rotation is writing a new key pair to PRIVATE_KEY (and PUBLIC_KEY); the
// new key signs from the next check on, the old one still verifies for
// retiredKeyLifetime.
type oidcKeys struct {
	cfg  *Config
	st   store.OIDCStore
	log  *slog.Logger
	set  *oidc.KeySet
	mu   sync.Mutex
	mod  time.Time
	stop chan struct{}
	done chan struct{}
}

func newOIDCKeys(ctx context.Context, cfg *Config, st store.OIDCStore, log *slog.Logger) (*oidcKeys, error) {
	k := &oidcKeys{cfg: cfg, st: st, log: log}
	if err := k.load(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *oidcKeys) load(ctx context.Context) error {
	path := k.cfg.OIDC.JWT.PrivateKey
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY: %w (run `canaille install` to create the key pair)", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY: %w", err)
	}
	cur, err := oidc.ParseKey(raw, k.cfg.OIDC.JWT.Alg)
	if err != nil {
		return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY %s: %w", path, err)
	}
	if cur.Private == nil {
		return fmt.Errorf("CANAILLE_OIDC.JWT.PRIVATE_KEY %s holds a public key, not a private key", path)
	}
	now := time.Now().UTC()
	stored, err := k.st.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	var retired []*oidc.Key
	known := false
	for _, s := range stored {
		if s.ID == cur.ID {
			known = true
			continue
		}
		if s.Retired.IsZero() {
			s.Retired = now
			if err := k.st.PutSigningKey(ctx, s); err != nil {
				return err
			}
			k.log.Info("signing key retired", "kid", s.ID, "verifies_until", now.Add(retiredKeyLifetime))
		}
		if now.Sub(s.Retired) > retiredKeyLifetime {
			if err := k.st.DeleteSigningKey(ctx, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			k.log.Info("retired signing key removed", "kid", s.ID)
			continue
		}
		old, err := oidc.ParseKey(s.PublicKeyPEM, s.Algorithm)
		if err != nil {
			k.log.Warn("unreadable retired signing key skipped", "kid", s.ID, "error", err)
			continue
		}
		retired = append(retired, old)
	}
	if !known {
		pub, err := cur.PublicPEM()
		if err != nil {
			return err
		}
		if err := k.st.PutSigningKey(ctx, store.SigningKey{ID: cur.ID, Algorithm: cur.Algorithm,
			PublicKeyPEM: pub, Created: now}); err != nil {
			return err
		}
		k.log.Info("signing key in use", "kid", cur.ID, "alg", cur.Algorithm)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.mod = fi.ModTime()
	if k.set == nil {
		k.set, err = oidc.NewKeySet(cur, retired...)
		return err
	}
	return k.set.Replace(cur, retired...)
}

// changed reports whether the key file was modified since it was loaded.
func (k *oidcKeys) changed() bool {
	fi, err := os.Stat(k.cfg.OIDC.JWT.PrivateKey)
	k.mu.Lock()
	defer k.mu.Unlock()
	return err == nil && !fi.ModTime().Equal(k.mod)
}

func (k *oidcKeys) Name() string { return "oidc-keys" }

func (k *oidcKeys) Start(ctx context.Context) error {
	k.stop, k.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(k.done)
		t := time.NewTicker(keyCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-k.stop:
				return
			case <-t.C:
				if k.changed() {
					if err := k.load(context.Background()); err != nil {
						k.log.Error("the new signing key was not loaded; the previous one still signs", "error", err)
					}
				}
			}
		}
	}()
	return nil
}

func (k *oidcKeys) Shutdown(ctx context.Context) error {
	if k.stop != nil {
		close(k.stop)
		<-k.done
	}
	return nil
}

// oidcSecret derives the HMAC key of opaque codes and tokens from
// SECRET_KEY.
func oidcSecret(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("canaille oidc token hmac"))
	return m.Sum(nil)
}

// newProvider builds the OpenID Connect provider of cfg.
// newProvider builds the OpenID Connect provider; m, when set, counts the
// tokens it issues.
func newProvider(cfg *Config, st webStore, keys *oidcKeys, log *slog.Logger, m *opsMetrics) (*oidc.Provider, error) {
	o := cfg.OIDC
	issuer := cfg.Issuer()
	if issuer == "" {
		u, _ := baseURL(cfg)
		issuer = strings.TrimSuffix(u.String(), "/")
	}
	claims := map[string]*oidc.Template{}
	for name, src := range o.UserinfoMapping.Templates() {
		t, err := oidc.ParseTemplate(src)
		if err != nil {
			return nil, fmt.Errorf("CANAILLE_OIDC.USERINFO_MAPPING.%s: %w", strings.ToUpper(name), err)
		}
		claims[name] = t
	}
	policy, err := cfg.ACLPolicy()
	if err != nil {
		return nil, err
	}
	var lockout *store.LockoutPolicy
	if cfg.Canaille.EnableIntruderLockout {
		l := store.DefaultLockout()
		lockout = &l
	}
	var tokenIssued func(string)
	if m != nil {
		tokenIssued = m.tokenIssued
	}
	return oidc.New(oidc.Config{
		Lockout: lockout, TokenIssued: tokenIssued,
		Issuer: issuer, Keys: keys.set, GlobalSecret: oidcSecret(cfg.SecretKey),
		AccessTokenLifetime: o.JWT.Exp.Duration(), IDTokenLifetime: o.JWT.Exp.Duration(),
		RefreshTokenLifetime: o.RefreshTokenLifetime.Duration(), CodeLifetime: o.AuthorizationCodeLifetime.Duration(),
		OpaqueAccessTokens: o.AccessTokenFormat == "opaque",
		RequireNonce:       o.RequireNonce, RequirePKCE: o.RequirePKCE,
		TrustedDomains: o.TrustedDomains, Claims: claims,
		PhotoURL: func(u *store.User) string {
			return issuer + "/profile/" + url.PathEscape(u.UserName) + "/photo"
		},
		RegistrationOpen:   o.DynamicClientRegistrationOpen,
		EnableRegistration: cfg.Canaille.EnableRegistration,
		Policy:             policy, Logger: log,
	}, st)
}
