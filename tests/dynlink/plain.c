/* An ordinary (not position-independent) module: no dylink.0. */
int plain(int x) { return x; }
