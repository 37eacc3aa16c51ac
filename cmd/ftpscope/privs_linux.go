package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// dropPrivileges switches the whole process to a: supplementary groups, then
// group, then user (in that order: after setuid the others are no longer
// allowed). Go applies these to every thread. The open capture socket and
// the -w file stay usable. Without root there is nothing to drop; asking for
// another user is then an error rather than a silent no-op.
func dropPrivileges(a account) error {
	if os.Geteuid() != 0 {
		if os.Getuid() == a.uid && os.Geteuid() == a.uid {
			return nil
		}
		return errors.New("dropping privileges needs to start as root")
	}
	if err := syscall.Setgroups(a.groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(a.gid); err != nil {
		return fmt.Errorf("setgid %d: %w", a.gid, err)
	}
	if err := syscall.Setuid(a.uid); err != nil {
		return fmt.Errorf("setuid %d: %w", a.uid, err)
	}
	// A process that could take root back has not dropped anything.
	if a.uid != 0 && (os.Getuid() != a.uid || os.Geteuid() != a.uid || syscall.Setuid(0) == nil) {
		return errors.New("still able to regain root after setuid")
	}
	return nil
}
