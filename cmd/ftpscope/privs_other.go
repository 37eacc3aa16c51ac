//go:build !linux

package main

import "errors"

// dropPrivileges is implemented for Linux only.
func dropPrivileges(a account) error {
	return errors.New("dropping privileges (-Z) is implemented on Linux only")
}
