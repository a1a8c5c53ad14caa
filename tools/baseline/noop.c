/* A program that does nothing: the cost of a bare process start in C. */
int main(void)
{
	return 0;
}
