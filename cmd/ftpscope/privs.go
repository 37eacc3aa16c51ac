package main

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// account is the user -Z switches to.
type account struct {
	name     string
	uid, gid int
	groups   []int // supplementary groups, the primary one included
}

// lookupAccount finds the user -Z names (a name, or a numeric uid).
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			if _, nerr := strconv.Atoi(name); nerr == nil {
				u, err = user.LookupId(name)
			}
		}
		var unknownID user.UnknownUserIdError
		if errors.As(err, &unknown) || errors.As(err, &unknownID) {
			return account{}, fmt.Errorf("no user %q on this system", name)
		}
		if err != nil {
			return account{}, fmt.Errorf("look up user %q: %w", name, err)
		}
	}
	a := account{name: u.Username}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return account{}, fmt.Errorf("user %q has a non-numeric uid %q", name, u.Uid)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return account{}, fmt.Errorf("user %q has a non-numeric gid %q", name, u.Gid)
	}
	gids, err := u.GroupIds()
	if err != nil {
		// Without the group database the user still gets its primary
		// group, and no supplementary group of root survives.
		gids = nil
	}
	a.groups = []int{a.gid}
	for _, g := range gids {
		n, err := strconv.Atoi(g)
		if err == nil && n != a.gid {
			a.groups = append(a.groups, n)
		}
	}
	return a, nil
}
