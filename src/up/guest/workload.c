/* The workload kernel: a multiboot guest that holds a controlled amount of memory and dirties
   a controlled working set at a controlled rate, so that a live migration of it can be
   predicted. Command line `kvmlab.used=BYTES kvmlab.wss=BYTES kvmlab.rate=BYTES_PER_S`
   (missing = 0); on COM1 it says `kvmlab-workload ready used=U wss=W rate=R` and takes lines
   `workload used=U wss=W rate=R` (a field left out keeps its value), answering
   `ok used=U wss=W rate=R`. It never touches memory above the RAM the loader reports. */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define PAGE 4096u
#define COM1 0x3F8
/* Credit is kept in byte-milliseconds: a tick of 1 ms at `rate` bytes/s earns `rate`. */
#define PAGE_CREDIT ((u64)PAGE * 1000u)
#define PIT_HZ 1193182u
#define PIT_COUNT 59659u /* 50 ms */

struct multiboot_info {
    u32 flags;
    u32 mem_lower;
    u32 mem_upper;
    u32 boot_device;
    u32 cmdline;
};

extern char _end[];

static char cmdline[1024];
static u8 *region;          /* the first byte above the kernel's image */
static u64 region_limit;    /* bytes from `region` to the end of the guest's low RAM */
static u64 used, wss, rate; /* as applied */
static u32 random_state = 0x9E3779B9u;

static inline void outb(u16 port, u8 value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void pause(void) { __asm__ volatile("pause"); }

static u32 next_random(void) {
    u32 x = random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    random_state = x;
    return x; /* xorshift32 never yields 0, so a filled page is never a zero page */
}

static void serial_init(void) {
    outb(COM1 + 1, 0x00); /* no interrupts: the kernel polls */
    outb(COM1 + 3, 0x80); /* divisor latch */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put_char(char c) {
    while (!(inb(COM1 + 5) & 0x20))
        pause();
    outb(COM1, (u8)c);
}

static void put_text(const char *s) {
    while (*s) {
        if (*s == '\n')
            put_char('\r');
        put_char(*s++);
    }
}

static void put_number(u64 n) {
    char digits[24];
    int i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i)
        put_char(digits[--i]);
}

static void put_values(const char *prefix) {
    put_text(prefix);
    put_text(" used=");
    put_number(used);
    put_text(" wss=");
    put_number(wss);
    put_text(" rate=");
    put_number(rate);
    put_text("\n");
}

static int starts_with(const char *s, const char *prefix) {
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

/* The decimal number after `key` in the space-separated `text`; `found` says whether the
   key was there with digits. */
static u64 field(const char *text, const char *key, int *found) {
    const char *p = text;
    *found = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (starts_with(p, key)) {
            const char *q = p;
            while (*key)
                q++, key++;
            u64 value = 0;
            int digits = 0;
            while (*q >= '0' && *q <= '9' && digits < 19) {
                value = value * 10 + (u64)(*q - '0');
                q++;
                digits++;
            }
            if (digits && (*q == ' ' || *q == 0)) {
                *found = 1;
                return value;
            }
            return 0;
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

static u64 pages_of(u64 bytes) { return (bytes + PAGE - 1) / PAGE; }

static void fill_page(u64 index) {
    volatile u32 *word = (volatile u32 *)(region + index * PAGE);
    for (u32 i = 0; i < PAGE / 4; i++)
        word[i] = next_random();
}

static void zero_page(u64 index) {
    volatile u32 *word = (volatile u32 *)(region + index * PAGE);
    for (u32 i = 0; i < PAGE / 4; i++)
        word[i] = 0;
}

/* Takes new values: grows the filled region with random pages or zeroes what it gives back,
   clamping to the guest's RAM and the working set to the filled region. */
static void apply(u64 new_used, u64 new_wss, u64 new_rate) {
    if (new_used > region_limit) {
        put_text("kvmlab-workload clamped used=");
        put_number(new_used);
        put_text(" to ");
        put_number(region_limit);
        put_text(" (the guest's RAM above the kernel)\n");
        new_used = region_limit;
    }
    if (new_wss > new_used) {
        put_text("kvmlab-workload clamped wss=");
        put_number(new_wss);
        put_text(" to ");
        put_number(new_used);
        put_text(" (the filled region)\n");
        new_wss = new_used;
    }
    u64 old_pages = pages_of(used), new_pages = pages_of(new_used);
    for (u64 i = old_pages; i < new_pages; i++)
        fill_page(i);
    for (u64 i = new_pages; i < old_pages; i++)
        zero_page(i);
    used = new_used;
    wss = new_wss;
    rate = new_rate;
}

static char line[256];
static u32 line_length;

static void handle_line(void) {
    line[line_length] = 0;
    line_length = 0;
    if (line[0] == 0)
        return;
    if (!starts_with(line, "workload ")) {
        put_text("error: expected `workload used=U wss=W rate=R`\n");
        return;
    }
    int found;
    u64 u = field(line, "used=", &found);
    if (!found)
        u = used;
    u64 w = field(line, "wss=", &found);
    if (!found)
        w = wss;
    u64 r = field(line, "rate=", &found);
    if (!found)
        r = rate;
    apply(u, w, r);
    put_values("ok");
}

static void poll_serial(void) {
    while (inb(COM1 + 5) & 0x01) {
        char c = (char)inb(COM1);
        if (c == '\r' || c == '\n')
            handle_line();
        else if (line_length < sizeof line - 1)
            line[line_length++] = c;
    }
}

/* TSC ticks per second, timed against 50 ms of the PIT's channel 2. */
static u64 calibrate_tsc(void) {
    outb(0x61, (u8)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
    outb(0x43, 0xB0);                           /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, PIT_COUNT & 0xFF);
    outb(0x42, PIT_COUNT >> 8);
    u64 start = rdtsc();
    while (!(inb(0x61) & 0x20))
        pause();
    u64 ticks = rdtsc() - start;
    return ticks * PIT_HZ / PIT_COUNT;
}

void kmain(u32 magic, const struct multiboot_info *info) {
    serial_init();
    put_text("kvmlab-workload booting\n");
    if (magic != 0x2BADB002) {
        put_text("kvmlab-workload error: not started by a multiboot loader\n");
        return;
    }
    if (info->flags & 4) {
        const char *from = (const char *)info->cmdline;
        u32 i = 0;
        while (from[i] && i < sizeof cmdline - 1) {
            cmdline[i] = from[i];
            i++;
        }
        cmdline[i] = 0;
    }
    u64 ram_end = 0x100000;
    if (info->flags & 1)
        ram_end += (u64)info->mem_upper * 1024;
    else
        put_text("kvmlab-workload no memory map from the loader: nothing will be filled\n");
    if (ram_end > 0xFFFFF000ull)
        ram_end = 0xFFFFF000ull;
    u32 start = ((u32)_end + PAGE - 1) & ~(PAGE - 1);
    region = (u8 *)start;
    region_limit = ram_end > start ? (ram_end - start) & ~(u64)(PAGE - 1) : 0;
    u64 tsc_hz = calibrate_tsc();
    u64 tick = tsc_hz / 1000;
    if (tick == 0)
        tick = 1;
    int found;
    u64 fill_start = rdtsc();
    apply(field(cmdline, "kvmlab.used=", &found), field(cmdline, "kvmlab.wss=", &found),
          field(cmdline, "kvmlab.rate=", &found));
    put_text("kvmlab-workload filled ");
    put_number(used);
    put_text(" bytes in ");
    put_number((rdtsc() - fill_start) * 1000 / tsc_hz);
    put_text(" ms\n");
    put_text("kvmlab-workload ram_end=");
    put_number(ram_end);
    put_text(" region_start=");
    put_number(start);
    put_text(" tsc_hz=");
    put_number(tsc_hz);
    put_text("\n");
    put_values("kvmlab-workload ready");

    u64 credit = 0, page = 0, last = rdtsc();
    for (;;) {
        u64 now = rdtsc();
        if (now - last >= tick) {
            u64 ticks = (now - last) / tick;
            last += ticks * tick;
            credit += ticks * rate;
            /* At most 100 ms of writes owed: after a pause (a migration's stop) it catches
               up briefly instead of racing. */
            if (credit > rate * 100 + PAGE_CREDIT)
                credit = rate * 100 + PAGE_CREDIT;
            poll_serial();
        }
        u64 wss_pages = pages_of(wss);
        if (wss_pages && credit >= PAGE_CREDIT) {
            if (page >= wss_pages)
                page = 0;
            *(volatile u32 *)(region + page * PAGE) = next_random();
            page++;
            credit -= PAGE_CREDIT;
        } else {
            pause();
        }
    }
}
