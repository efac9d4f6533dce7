package schedule

import "time"

// EventKind tells what happened.
type EventKind int

const (
	Started  EventKind = iota // a job's Work started (Reason says why it builds)
	Log                       // one line of a job's engine output (Line)
	Finished                  // a job ended (Result)
	Message                   // a line about the run itself (Line), e.g. "engine: unix:///var/run/docker.sock"
)

// Event is what a run reports; reporters must be safe for concurrent use.
type Event struct {
	Kind   EventKind
	Image  string
	Line   string
	Reason string
	Action string // Started: "building", "pushing", "reusing"
	Result *Result
	Time   time.Time
}
