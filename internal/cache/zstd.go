package cache

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// Encoders and decoders are reused: building one allocates its tables and
// history buffers. A decoder owns goroutines and must be closed, which a
// sync.Pool could not do when it drops one, so each Store keeps bounded
// channels of them and closes whatever does not fit.
const poolSize = 4

// encoderLevel trades ratio for speed; deps.md note 15 measured tar + zstd
// at its default level as the fastest of the archive formats tried.
const encoderLevel = zstd.SpeedDefault

// encoderWindow is the window archives are written with: what their
// decoder must hold in memory on restore. 2 MiB keeps a restore's memory
// small (the default of 8 MiB, doubled by the garbage collector's headroom,
// took codeyard past 40 MB restoring a 100 MB file) for a ratio that
// differs by under a percent on build trees.
const encoderWindow = 2 << 20

// maxWindow bounds the memory a hostile archive can make the decoder
// allocate; the encoder's default window is far smaller.
const maxWindow = 1 << 30

func (s *Store) getEncoder(w io.Writer) (*zstd.Encoder, error) {
	select {
	case e := <-s.encoders:
		e.Reset(w)
		return e, nil
	default:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(encoderLevel), zstd.WithWindowSize(encoderWindow))
	}
}

// putEncoder returns e, which must have been closed, to the pool.
func (s *Store) putEncoder(e *zstd.Encoder) {
	e.Reset(io.Discard) // drop the reference to the last writer
	select {
	case s.encoders <- e:
	default:
	}
}

func (s *Store) getDecoder(r io.Reader) (*zstd.Decoder, error) {
	select {
	case d := <-s.decoders:
		if err := d.Reset(r); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	default:
		return zstd.NewReader(r, zstd.WithDecoderMaxWindow(maxWindow))
	}
}

func (s *Store) putDecoder(d *zstd.Decoder) {
	if err := d.Reset(nil); err != nil {
		d.Close()
		return
	}
	select {
	case s.decoders <- d:
	default:
		d.Close()
	}
}
