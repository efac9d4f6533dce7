package buildkit

import "context"

// Ping asks the builder for its worker, over the connection it holds: an error means it no
// longer answers there (a connection kept from one run to the next is then dialled again).
func (b *Builder) Ping(ctx context.Context) error {
	_, err := b.worker(ctx)
	return err
}
