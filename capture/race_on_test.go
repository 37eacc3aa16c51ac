//go:build race

package capture

// raceEnabled says the tests run under the race detector, which allocates
// where normal builds do not.
const raceEnabled = true
