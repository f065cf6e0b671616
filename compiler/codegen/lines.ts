/** A small line builder with indentation, shared by the code generators. */
export class Lines {
  private readonly out: string[] = [];
  private depth = 0;
  line(s: string): this {
    this.out.push('  '.repeat(this.depth) + s);
    return this;
  }
  open(s: string): this {
    this.line(s);
    this.depth++;
    return this;
  }
  close(s = '}'): this {
    this.depth--;
    return this.line(s);
  }
  /** A line between two blocks, such as `} else {`. */
  middle(s: string): this {
    this.depth--;
    this.line(s);
    this.depth++;
    return this;
  }
  toString(): string {
    return this.out.join('\n');
  }
}
