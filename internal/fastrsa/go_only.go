//go:build !(cgo && linux)

package fastrsa

import (
	"crypto"
	"crypto/rsa"
	"fmt"
)

func available() error {
	return fmt.Errorf("%w: built without cgo", ErrUnavailable)
}

func version() string { return "" }

func newSigner(*rsa.PrivateKey) (crypto.Signer, error) { return nil, ErrUnavailable }
