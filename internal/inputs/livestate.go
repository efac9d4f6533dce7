package inputs

// A State kept from one run to the next (imagemake watch) keeps in memory the last manifest it
// recorded or loaded per image: the next run explains what changed since then without reading
// and decoding the manifest file again, which on a large context costs more than the rest of
// planning the change.

// Keep makes the state keep the last manifest recorded or loaded per image in memory.
func (s *State) Keep() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[string]*Manifest{}
	}
	return s
}

// keep remembers m as its image's last manifest, when the state keeps them.
func (s *State) keep(m *Manifest) {
	if m == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept != nil {
		s.kept[m.Image] = m
	}
}

// keptManifest is the kept manifest of image with that digest; nil when there is none.
func (s *State) keptManifest(image, digest string) *Manifest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.kept[image]; m != nil && m.Digest == digest {
		return m
	}
	return nil
}
