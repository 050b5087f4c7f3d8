from socialwatch.cli import main

main()
