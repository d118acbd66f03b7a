//go:build race

package pages_test

// raceDetector: the race detector doubles the stack guard and grows frames.
const raceDetector = true
