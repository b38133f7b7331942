package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// rsaKeyBits is the size of generated RS256 keys: 2048 bits, what
// Keycloak, Auth0 and Google publish for RS256, fast to sign with.
const rsaKeyBits = 2048

// generateKeyPair returns PEM encodings (PKCS #8 private key, PKIX public
// key) of a new key for alg: RSA for RS256, P-256 for ES256, Ed25519 for
// EdDSA. The files are what `openssl genrsa` and `openssl rsa -pubout`
// make, so either tool may produce them.
func generateKeyPair(alg string) (private, public []byte, err error) {
	var key crypto.Signer
	switch alg {
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, rsaKeyBits)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unknown signing algorithm %q", alg)
	}
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// loadPrivateKey parses a PEM private key file in PKCS #8, PKCS #1 or SEC 1
// form.
func loadPrivateKey(path string) (crypto.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("%s is not a PEM private key (PKCS #8, PKCS #1 or SEC 1)", path)
}

// keyMatchesAlg checks that a key can sign with alg.
func keyMatchesAlg(key crypto.Signer, alg string) error {
	ok := false
	switch k := key.(type) {
	case *rsa.PrivateKey:
		ok = alg == "RS256"
		if ok && k.N.BitLen() < 2048 {
			return fmt.Errorf("the RSA key has %d bits; at least 2048 are needed", k.N.BitLen())
		}
	case *ecdsa.PrivateKey:
		ok = alg == "ES256" && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		ok = alg == "EdDSA"
	}
	if !ok {
		return fmt.Errorf("the key is a %T, which cannot sign %s", key, alg)
	}
	return nil
}

// ensureKeyPair creates the configured key files when the private key is
// missing, and reports what it did.
func ensureKeyPair(privatePath, publicPath, alg string) (created bool, err error) {
	if _, err := os.Stat(privatePath); err == nil {
		key, err := loadPrivateKey(privatePath)
		if err != nil {
			return false, err
		}
		if err := keyMatchesAlg(key, alg); err != nil {
			return false, fmt.Errorf("%s: %w (CANAILLE_OIDC.JWT.ALG = %q)", privatePath, err, alg)
		}
		if _, err := os.Stat(publicPath); errors.Is(err, os.ErrNotExist) {
			pub, err := x509.MarshalPKIXPublicKey(key.Public())
			if err != nil {
				return false, err
			}
			return true, writeFileAtomic(publicPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	priv, pub, err := generateKeyPair(alg)
	if err != nil {
		return false, err
	}
	if err := writeFileAtomic(privatePath, priv, 0o600); err != nil {
		return false, err
	}
	return true, writeFileAtomic(publicPath, pub, 0o644)
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it into place.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	af, err := createAtomic(path)
	if err != nil {
		return err
	}
	if _, err := af.Write(data); err != nil {
		af.abort()
		return err
	}
	if err := af.Chmod(mode); err != nil {
		af.abort()
		return err
	}
	return af.commit()
}
