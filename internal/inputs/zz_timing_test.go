package inputs

import (
	"os"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	b := &testing.B{}
	_ = b
	r := benchRepoT(t)
	scanAllT(t, r, true)
	for range 15 {
		t0 := time.Now()
		s, _ := NewScanner(r.Project)
		t1 := time.Now()
		var ctxT, manT time.Duration
		digests := map[string]string{}
		for _, name := range []string{"luabase", "pybase"} {
			img := r.Project.Image(name)
			a := time.Now()
			e, _ := s.Context(img)
			bb := time.Now()
			m, _ := s.Manifest(img, e, nil, nil)
			ctxT += bb.Sub(a)
			manT += time.Since(bb)
			digests[name] = m.Digest
		}
		for _, img := range r.Project.Images {
			if base := r.Base[img.Name]; base != "" {
				a := time.Now()
				e, _ := s.Context(img)
				bb := time.Now()
				s.Manifest(img, e, map[string]string{base: digests[base]}, nil)
				ctxT += bb.Sub(a)
				manT += time.Since(bb)
			}
		}
		t2 := time.Now()
		s.Save()
		t.Logf("new %v ctx %v man %v save %v total %v  %+v", t1.Sub(t0), ctxT, manT, time.Since(t2), time.Since(t0), s.Stats())
	}
}
