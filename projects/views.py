from django.shortcuts import render


def landscape(request):
    return render(request, "projects/landscape.html")
