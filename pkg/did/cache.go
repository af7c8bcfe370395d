package did

import (
	"container/list"
	"sync"
	"time"
)

// lru is a size-bounded least-recently-used cache whose entries expire.
type lru struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front = most recently used
	items map[string]*list.Element
}

type lruEntry struct {
	key     string
	doc     *Document
	fetched time.Time
	expires time.Time
}

func newLRU(max int) *lru {
	return &lru{max: max, ll: list.New(), items: make(map[string]*list.Element, max)}
}

// get returns the entry for key if present and not expired at now.
func (c *lru) get(key string, now time.Time) (lruEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return lruEntry{}, false
	}
	e := el.Value.(*lruEntry)
	if !now.Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return lruEntry{}, false
	}
	c.ll.MoveToFront(el)
	return *e, true
}

// put stores an entry, evicting the least recently used one when full.
func (c *lru) put(e lruEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		*el.Value.(*lruEntry) = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[e.key] = c.ll.PushFront(&e)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*lruEntry).key)
	}
}

// len returns the number of entries (expired ones included).
func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
