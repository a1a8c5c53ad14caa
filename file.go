package handoff

import (
	"errors"
	"os"
)

// File returns an Object that passes f to a child, which opens it with
// [Handles.File] or [OpenFile]. f stays owned by the caller and must stay
// open until Start returns; the child gets a handle of its own, to the same
// open file: the file offset is shared, so what one process reads or writes
// moves the other's position. On Unix, Start puts f in blocking mode, as
// os/exec does for ExtraFiles, since the mode belongs to the open file too.
// Any file will do: a pipe end, a regular file, a socket.
func File(f *os.File) Object { return fileObject{f} }

type fileObject struct{ f *os.File }

func (o fileObject) object() (sysHandle, kind, error) {
	if o.f == nil {
		return sysHandle{}, kindFile, errors.New("nil file")
	}
	h, err := fileHandle(o.f)
	return h, kindFile, err
}
