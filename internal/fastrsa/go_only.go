//go:build !(cgo && linux)

package fastrsa

import (
	"crypto"
	"crypto/rsa"
	"fmt"
)

func available() error {
	if disabled() {
		return fmt.Errorf("%w: CANAILLE_OPENSSL=off", ErrUnavailable)
	}
	return fmt.Errorf("%w: built without cgo", ErrUnavailable)
}

func version() string { return "" }

func newSigner(*rsa.PrivateKey) (crypto.Signer, error) { return nil, ErrUnavailable }
