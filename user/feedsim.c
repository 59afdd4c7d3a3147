/* feedrx — placeholder main until the kernel-path client lands. */
int main(void) { return 0; }
